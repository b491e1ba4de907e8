/**
 * The engine's rules on a virtual clock with scripted systems: no real sleeps, exact timing.
 */
import { counted, recordReliability } from '../support/reliability';
import { LimiterRegistry } from '../../src/engine/limiter';
import type { PairOutcome } from '../../src/engine/outcome';
import { TokenBucket } from '../../sandbox/rateLimit';
import { collect, countBy, newRun, pairsFor, runtimeFor } from '../support/engine';
import {
	type FakeAnswer,
	FakeSystem,
	FLASHBACK_NOT_THERE,
	FLASHBACK_OK,
} from '../support/fakeSystem';
import { VirtualClock } from '../support/virtualClock';

let clock: VirtualClock;
let limiters: LimiterRegistry;
beforeEach(() => {
	clock = new VirtualClock();
	limiters = new LimiterRegistry(clock);
});

const half = (): number => 0.5;
const EJENTO_OK: FakeAnswer = { status: 200, body: { success: true, message: 'ok', data: [] } };

function statuses(outcomes: PairOutcome[]): Record<string, number> {
	return countBy(outcomes, (o) => o.status);
}

describe('a run', () => {
	it('gives exactly one outcome per pair, streamed as each completes', async () => {
		const fake = new FakeSystem(clock, () => FLASHBACK_OK, 100);
		const run = newRun(pairsFor('flashback', 10), {
			systems: {
				flashback: runtimeFor('flashback', fake.transport, { limits: { maxConcurrency: 2 } }),
			},
			clock,
			limiters,
		});
		const arrivals: number[] = [];
		const t0 = clock.now();
		const outcomes = await clock.run(
			(async () => {
				const out: PairOutcome[] = [];
				for await (const outcome of run) {
					arrivals.push(clock.now() - t0);
					out.push(outcome);
				}
				return out;
			})(),
		);
		expect(outcomes).toHaveLength(10);
		expect(new Set(outcomes.map((o) => o.pairId)).size).toBe(10);
		expect(statuses(outcomes)).toEqual({ removed: 10 });
		expect(fake.maxInFlight).toBe(2);
		// The first request probes the credential alone; then two at a time, 100 ms each: outcomes
		// arrive in waves, not all at the end.
		expect(arrivals).toEqual([100, 200, 200, 300, 300, 400, 400, 500, 500, 600]);
	});

	it('runs every system side by side', async () => {
		const flashback = new FakeSystem(clock, () => FLASHBACK_OK, 100);
		const ejento = new FakeSystem(clock, () => EJENTO_OK, 100);
		const limits = { maxConcurrency: 1, ratePerSecond: 10, maxRatePerSecond: 10, burst: 1 };
		const outcomes = await clock.run(
			collect(
				newRun([...pairsFor('flashback', 10), ...pairsFor('ejento', 10)], {
					systems: {
						flashback: runtimeFor('flashback', flashback.transport, { limits }),
						ejento: runtimeFor('ejento', ejento.transport, { limits }),
					},
					clock,
					limiters,
				}),
			),
		);
		expect(statuses(outcomes)).toEqual({ removed: 20 });
		// Each system alone takes 10 × 100 ms at one in flight: together, the same 1 s, not 2 s.
		const t0 = flashback.sent[0].at;
		expect(ejento.sent[0].at).toBe(t0);
		expect(clock.now() - t0).toBe(1000);
	});
});

describe('rate limits', () => {
	it('a Retry-After: 2 pauses all in-flight work of that system for 2 s, and only that system', async () => {
		const flashback = new FakeSystem(
			clock,
			(_, index) => (index === 5 ? { status: 429, headers: { 'retry-after': '2' } } : FLASHBACK_OK),
			100,
		);
		const ejento = new FakeSystem(clock, () => EJENTO_OK, 100);
		const outcomes = await clock.run(
			collect(
				newRun([...pairsFor('flashback', 20), ...pairsFor('ejento', 40)], {
					systems: {
						flashback: runtimeFor('flashback', flashback.transport, {
							limits: { maxConcurrency: 4, ratePerSecond: 100, burst: 4 },
						}),
						ejento: runtimeFor('ejento', ejento.transport, {
							limits: { maxConcurrency: 1, ratePerSecond: 100, burst: 1 },
						}),
					},
					clock,
					limiters,
				}),
			),
		);
		expect(statuses(outcomes)).toEqual({ removed: 60 });
		const limitedAt = flashback.sent[5].answeredAt as number;
		const sendTimes = flashback.sent.map((s) => s.at);
		expect(sendTimes.filter((t) => t > limitedAt && t < limitedAt + 2000)).toEqual([]);
		expect(Math.min(...sendTimes.filter((t) => t > limitedAt))).toBe(limitedAt + 2000);
		expect(flashback.sent).toHaveLength(21); // 20 pairs + the one retried after the 429
		// Ejento kept going during Flashback's pause.
		expect(
			ejento.sent.filter((s) => s.at > limitedAt && s.at < limitedAt + 2000).length,
		).toBeGreaterThan(15);
	});

	it.each([
		[
			'draft-10 RateLimit on a 429',
			{ status: 429, headers: { ratelimit: '"default";r=0;t=5' } },
			5000,
		],
		[
			'legacy RateLimit-* on a 200',
			{
				status: 200,
				body: { success: true },
				headers: { 'ratelimit-remaining': '0', 'ratelimit-reset': '3' },
			},
			3000,
		],
		[
			'X-RateLimit-Reset as delta',
			{ status: 429, headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '4' } },
			4000,
		],
		[
			'Retry-After as an HTTP-date',
			{ status: 429, headers: { 'retry-after': 'Fri, 27 Nov 2026 12:00:07 GMT' } },
			'until 12:00:07',
		],
	] as const)('pauses the system as %s says', async (_, answer, pause) => {
		const fake = new FakeSystem(
			clock,
			(_, index) => (index === 1 ? (answer as FakeAnswer) : FLASHBACK_OK),
			100,
		);
		const outcomes = await clock.run(
			collect(
				newRun(pairsFor('flashback', 4), {
					systems: {
						flashback: runtimeFor('flashback', fake.transport, { limits: { maxConcurrency: 1 } }),
					},
					clock,
					limiters,
				}),
			),
		);
		expect(statuses(outcomes)).toEqual({ removed: 4 });
		const answeredAt = fake.sent[1].answeredAt as number;
		const expected =
			pause === 'until 12:00:07' ? Date.UTC(2026, 10, 27, 12, 0, 7) : answeredAt + pause;
		expect(fake.sent[2].at).toBe(expected);
	});

	it('X-RateLimit-Reset above 10^9 is an epoch time', async () => {
		const resetAt = clock.now() + 6000;
		const fake = new FakeSystem(
			clock,
			(_, index) =>
				index === 0
					? {
							status: 429,
							headers: {
								'x-ratelimit-remaining': '0',
								'x-ratelimit-reset': String(resetAt / 1000),
							},
						}
					: FLASHBACK_OK,
			100,
		);
		const runtime = runtimeFor('flashback', fake.transport, { limits: { maxConcurrency: 1 } });
		await clock.run(
			collect(
				newRun(pairsFor('flashback', 2), { systems: { flashback: runtime }, clock, limiters }),
			),
		);
		expect(fake.sent[1].at).toBe(resetAt);
	});

	it('paces just under the rate a RateLimit-Policy announces, below the starting one', async () => {
		const fake = new FakeSystem(
			clock,
			() => ({
				status: 200,
				body: { success: true },
				headers: { 'ratelimit-policy': '"default";q=20;w=2' },
			}),
			10,
		);
		await clock.run(
			collect(
				newRun(pairsFor('flashback', 30), {
					systems: {
						flashback: runtimeFor('flashback', fake.transport, {
							limits: { maxConcurrency: 4, ratePerSecond: 100, burst: 1 },
						}),
					},
					clock,
					limiters,
				}),
			),
		);
		// 20 per 2 s, paced at 98 % of it: one per 102.04 ms (whole milliseconds: 102 or 103).
		const gaps = fake.sent.slice(10).map((s, i) => s.at - fake.sent[9 + i].at);
		expect(gaps.filter((gap) => gap !== 102 && gap !== 103)).toEqual([]);
	});

	it('fails the remaining pairs fast when Retry-After exceeds the cap (a quota)', async () => {
		const fake = new FakeSystem(
			clock,
			() => ({ status: 429, headers: { 'retry-after': '3600' } }),
			100,
		);
		const outcomes = await clock.run(
			collect(
				newRun(pairsFor('flashback', 5), {
					systems: {
						flashback: runtimeFor('flashback', fake.transport, {
							limits: { maxConcurrency: 1, maxRetryAfterMs: 60_000 },
						}),
					},
					clock,
					limiters,
				}),
			),
		);
		const until = new Date(fake.sent[0].answeredAt as number).getTime() + 3_600_000;
		expect(fake.sent).toHaveLength(1);
		expect(outcomes.map((o) => [o.status, o.kind, o.reason])).toEqual(
			Array(5).fill([
				'failed',
				'circuit_open',
				`Flashback is paused: rate-limited until ${new Date(until).toISOString()}`,
			]),
		);
		expect(clock.now() - fake.sent[0].at).toBeLessThan(35_000); // nobody waited an hour
	});

	it('adapts without any header: slows down on 429 and creeps back', async () => {
		const hidden = new TokenBucket({ rate: 10, burst: 1, headers: 'none' }, () => clock.now());
		const fake = new FakeSystem(
			clock,
			() => (hidden.take().allowed ? FLASHBACK_OK : { status: 429 }),
			20,
		);
		const run = newRun(pairsFor('flashback', 200), {
			systems: {
				flashback: runtimeFor('flashback', fake.transport, {
					limits: { maxConcurrency: 4, ratePerSecond: 40, burst: 1 },
				}),
			},
			clock,
			limiters,
			random: half,
		});
		const started = clock.now();
		const outcomes = await clock.run(collect(run));
		const elapsed = clock.now() - started;
		expect(statuses(outcomes)).toEqual({ removed: 200 });
		const limited = run.stats().flashback?.rateLimited ?? 0;
		expect(limited).toBeLessThan(60); // of 200 + limited requests: the rate came down
		expect(elapsed).toBeLessThan(1.5 * 20_000); // ideal: 200 at 10/s
		expect(fake.sent).toHaveLength(200 + limited);
	});
});

describe('fairness', () => {
	it('a 1-row run finishes while a 1,000-row run is queued on the same system', async () => {
		const fake = new FakeSystem(clock, () => FLASHBACK_OK, 10);
		const runtime = runtimeFor('flashback', fake.transport, {
			limits: { maxConcurrency: 1, ratePerSecond: 10, maxRatePerSecond: 10, burst: 1 },
		});
		const big = newRun(pairsFor('flashback', 1000, 'big'), {
			systems: { flashback: runtime },
			clock,
			limiters,
		});
		const bigOutcomes: PairOutcome[] = [];
		let bigDoneWhenSmallFinished = -1;
		let smallFinishedAt = -1;
		let smallStartedAt = -1;
		const bigDone = (async () => {
			for await (const o of big) bigOutcomes.push(o);
		})();
		const smallDone = (async () => {
			await clock.sleep(5_000);
			smallStartedAt = clock.now();
			const small = newRun(pairsFor('flashback', 1, 'small'), {
				systems: { flashback: runtime },
				clock,
				limiters,
			});
			const outcomes = await collect(small);
			smallFinishedAt = clock.now();
			bigDoneWhenSmallFinished = bigOutcomes.length;
			return outcomes;
		})();
		const [, small] = await clock.run(Promise.all([bigDone, smallDone]));
		expect(small.map((o) => o.status)).toEqual(['removed']);
		// Served at the next slot (one every 100 ms), not after 950 queued pairs.
		expect(smallFinishedAt - smallStartedAt).toBeLessThanOrEqual(210);
		expect(bigDoneWhenSmallFinished).toBeLessThan(60);
		expect(bigOutcomes).toHaveLength(1000);
	});

	it('cancelling a run stops its waiting at once and drops only its own queue', async () => {
		const fake = new FakeSystem(clock, () => FLASHBACK_OK, 10);
		const runtime = runtimeFor('flashback', fake.transport, {
			limits: { maxConcurrency: 1, ratePerSecond: 10, maxRatePerSecond: 10, burst: 1 },
		});
		const controller = new AbortController();
		const doomed = newRun(pairsFor('flashback', 100, 'a'), {
			systems: { flashback: runtime },
			clock,
			limiters,
			signal: controller.signal,
		});
		const other = newRun(pairsFor('flashback', 20, 'b'), {
			systems: { flashback: runtime },
			clock,
			limiters,
		});
		let abortedAt = -1;
		let errorAt = -1;
		const doomedDone = collect(doomed).catch((error: Error) => {
			errorAt = clock.now();
			return error;
		});
		const otherDone = collect(other);
		const cancel = clock.sleep(1_000).then(() => {
			abortedAt = clock.now();
			controller.abort();
		});
		const [error, otherOutcomes] = await clock.run(Promise.all([doomedDone, otherDone, cancel]));
		expect((error as Error).name).toBe('AbortError');
		expect(errorAt).toBe(abortedAt);
		expect(statuses(otherOutcomes as PairOutcome[])).toEqual({ removed: 20 });
		const sentAfter = fake.sent.filter((s) => s.at > abortedAt && s.userId.startsWith('a'));
		expect(sentAfter).toEqual([]);
	});
});

describe('retry and outcome rules', () => {
	function one(answers: FakeAnswer[], retry = {}) {
		const fake = new FakeSystem(
			clock,
			(_, index) => answers[Math.min(index, answers.length - 1)],
			100,
		);
		const run = newRun(pairsFor('flashback', 1), {
			systems: { flashback: runtimeFor('flashback', fake.transport, { retry }) },
			clock,
			limiters,
			random: half,
		});
		return clock.run(collect(run)).then(([outcome]) => ({ outcome, fake }));
	}

	it('retries a 503 with full-jitter exponential backoff (random 0.5: 250 ms, then 500 ms)', async () => {
		const { outcome, fake } = await one([{ status: 503 }, { status: 503 }, FLASHBACK_OK], {
			baseDelayMs: 500,
		});
		expect(outcome).toMatchObject({
			status: 'removed',
			kind: 'removed',
			attempts: 3,
			httpStatus: 200,
		});
		expect(outcome.confirmedAfterUncertain).toBeUndefined();
		const t0 = fake.sent[0].at;
		expect(fake.sent.map((s) => s.at - t0)).toEqual([0, 350, 950]);
	});

	it.each([
		['act-then-fail 500', { status: 500, body: { message: 'Internal Server Error' } }],
		['a malformed 200', { status: 200, body: '{"success":tr' }],
		['a timeout', { transportError: 'timeout' }],
		['a reset connection', { transportError: 'connection' }],
	] as const)(
		'calls "not there" after %s removed, confirmed after uncertainty',
		async (_, first) => {
			const { outcome, fake } = await one([first as FakeAnswer, FLASHBACK_NOT_THERE]);
			expect(outcome).toMatchObject({
				status: 'removed',
				kind: 'removed',
				attempts: 2,
				httpStatus: 404,
				confirmedAfterUncertain: true,
			});
			expect(outcome.reason).toMatch(
				/^Removed: an earlier attempt got no clear answer \(.+\) and Flashback now says the user is not there$/,
			);
			expect(fake.sent).toHaveLength(2);
		},
	);

	it.each([
		['a 429', { status: 429 }],
		['a 408', { status: 408 }],
		['a refused connection', { transportError: 'refused' }],
	] as const)(
		'keeps "not there" after %s as not_found: nothing was processed',
		async (_, first) => {
			const { outcome } = await one([first as FakeAnswer, FLASHBACK_NOT_THERE]);
			expect(outcome).toMatchObject({ status: 'not_found', kind: 'not_there', attempts: 2 });
			expect(outcome.confirmedAfterUncertain).toBeUndefined();
		},
	);

	it.each([
		['a 302', { status: 302, headers: { location: 'https://login.test/' } }, 'redirect'],
		[
			'a 400',
			{ status: 400, body: { message: 'User not found or account is not validated' } },
			'rejected',
		],
		['an unknown 404', { status: 404, body: 'Not Found' }, 'rejected'],
		['a 422', { status: 422, body: { detail: [] } }, 'rejected'],
	] as const)('never retries %s', async (_, answer, kind) => {
		const { outcome, fake } = await one([answer as FakeAnswer, FLASHBACK_OK]);
		expect(outcome).toMatchObject({ status: 'failed', kind, attempts: 1 });
		expect(fake.sent).toHaveLength(1);
	});

	it('never sends again after a confirmed removal', async () => {
		const { outcome, fake } = await one([FLASHBACK_OK, FLASHBACK_OK]);
		expect(outcome).toMatchObject({ status: 'removed', attempts: 1 });
		expect(fake.sent).toHaveLength(1);
	});

	it('fails with the last answer when attempts run out, saying an earlier attempt may have worked', async () => {
		const { outcome, fake } = await one([{ status: 503, body: { message: 'busy' } }], {
			maxAttempts: 3,
		});
		expect(outcome).toEqual({
			pairId: 'flashback-u1',
			row: 1,
			system: 'flashback',
			scope: { workspaceId: 'ws1' },
			userId: 'u1',
			status: 'failed',
			kind: 'server_error',
			httpStatus: 503,
			attempts: 3,
			durationMs: expect.any(Number),
			uncertain: true,
			reason:
				'Flashback failed on its side (503: busy) An earlier attempt may have removed the user (its answer did not say whether it acted); run again to confirm.',
		});
		expect(fake.sent).toHaveLength(3);
	});

	it('fails an id that cannot make a safe request without sending anything', async () => {
		const fake = new FakeSystem(clock, () => FLASHBACK_OK);
		const [outcome] = await clock.run(
			collect(
				newRun([{ ...pairsFor('flashback', 1)[0], userId: '..' }], {
					systems: { flashback: runtimeFor('flashback', fake.transport) },
					clock,
					limiters,
				}),
			),
		);
		expect(outcome).toMatchObject({
			status: 'failed',
			kind: 'invalid_input',
			attempts: 0,
			reason: 'Flashback user id ".." is not an id (it would change the path)',
		});
		expect(fake.sent).toHaveLength(0);
	});
});

describe('circuit breaker', () => {
	function circuitRun(answer: (index: number) => FakeAnswer, limits = {}) {
		const flashback = new FakeSystem(clock, (_, index) => answer(index), 100);
		const ejento = new FakeSystem(clock, () => EJENTO_OK, 100);
		const run = newRun([...pairsFor('flashback', 10), ...pairsFor('ejento', 10)], {
			systems: {
				flashback: runtimeFor('flashback', flashback.transport, {
					limits: { maxConcurrency: 1, ...limits },
				}),
				ejento: runtimeFor('ejento', ejento.transport),
			},
			clock,
			limiters,
			random: half,
		});
		return clock.run(collect(run)).then((outcomes) => ({ outcomes, flashback, ejento }));
	}

	it.each([
		[
			'a 401',
			{ status: 401, body: { message: 'Invalid or missing access token' } },
			'Flashback rejected the credential (401: Invalid or missing access token): check the token or API key',
		],
		[
			'a permission 403',
			{ status: 403, body: { message: 'Insufficient permissions to manage workspace users' } },
			"Flashback answered 403: Insufficient permissions to manage workspace users: the credential's account must be ADMIN of the workspace; also check the workspace id",
		],
	] as const)(
		'opens on %s: one request, one clear reason, other systems unaffected',
		async (_, answer, reason) => {
			const { outcomes, flashback } = await circuitRun(() => answer as FakeAnswer);
			expect(flashback.sent).toHaveLength(1);
			const fb = outcomes.filter((o) => o.system === 'flashback');
			expect(fb.map((o) => o.reason)).toEqual([
				reason,
				...Array(9).fill(`Flashback is paused: ${reason}`),
			]);
			expect(statuses(fb)).toEqual({ failed: 10 });
			expect(statuses(outcomes.filter((o) => o.system === 'ejento'))).toEqual({ removed: 10 });
		},
	);

	it('keeps a credential circuit to the run that met it: the next run (scope fixed) goes through', async () => {
		const fake = new FakeSystem(
			clock,
			(sent) =>
				sent.request.url.includes('/workspace/ws_typo/')
					? { status: 403, body: { message: 'Insufficient permissions to manage workspace users' } }
					: FLASHBACK_OK,
			100,
		);
		const runtime = runtimeFor('flashback', fake.transport, { limits: { maxConcurrency: 1 } });
		const wrong = pairsFor('flashback', 5).map((p) => ({
			...p,
			scope: { workspaceId: 'ws_typo' },
		}));
		const first = await clock.run(
			collect(newRun(wrong, { systems: { flashback: runtime }, clock, limiters })),
		);
		expect(statuses(first)).toEqual({ failed: 5 });
		expect(fake.sent).toHaveLength(1);
		const second = await clock.run(
			collect(
				newRun(pairsFor('flashback', 5), { systems: { flashback: runtime }, clock, limiters }),
			),
		);
		expect(statuses(second)).toEqual({ removed: 5 });
		expect(fake.sent).toHaveLength(6);
	});

	it("stays closed on Flashback's self-removal 403", async () => {
		const { outcomes, flashback } = await circuitRun((index) =>
			index === 0
				? { status: 403, body: { message: 'Users cannot remove themselves from a workspace' } }
				: FLASHBACK_OK,
		);
		expect(statuses(outcomes.filter((o) => o.system === 'flashback'))).toEqual({
			skipped: 1,
			removed: 9,
		});
		expect(flashback.sent).toHaveLength(10);
	});

	it('opens after N consecutive 5xx and fails the rest fast', async () => {
		const { outcomes, flashback } = await circuitRun(() => ({ status: 502 }), {
			circuitAfterServerErrors: 3,
		});
		expect(flashback.sent).toHaveLength(3);
		const fb = outcomes.filter((o) => o.system === 'flashback');
		expect(statuses(fb)).toEqual({ failed: 10 });
		expect(
			fb.every((o) =>
				o.reason.startsWith(
					'Flashback is paused: 3 failures in a row, the last: Flashback failed on its side (502',
				),
			),
		).toBe(true);
	});

	it('lets one probe through after the cooldown, and closes when it succeeds', async () => {
		const fake = new FakeSystem(
			clock,
			(_, index) => (index < 3 ? { status: 500 } : FLASHBACK_OK),
			100,
		);
		const runtime = runtimeFor('flashback', fake.transport, {
			limits: { maxConcurrency: 2, circuitAfterServerErrors: 3, circuitCooldownMs: 10_000 },
			retry: { maxAttempts: 1 },
		});
		// Two at a time: 500, 500, then a third 500 opens the circuit.
		const first = await clock.run(
			collect(
				newRun(pairsFor('flashback', 3, 'a'), { systems: { flashback: runtime }, clock, limiters }),
			),
		);
		expect(statuses(first)).toEqual({ failed: 3 });
		await clock.run(clock.sleep(10_000));
		const second = await clock.run(
			collect(
				newRun(pairsFor('flashback', 5, 'b'), { systems: { flashback: runtime }, clock, limiters }),
			),
		);
		expect(statuses(second)).toEqual({ removed: 5 });
		const probe = fake.sent[3];
		expect(probe.at).toBeGreaterThanOrEqual((fake.sent[2].answeredAt as number) + 10_000);
		// The rest waited for the probe's answer, then went two at a time again.
		expect([fake.sent[4].at, fake.sent[5].at]).toEqual([probe.answeredAt, probe.answeredAt]);
	});
});

describe('JWT refresh gate (Mudbase)', () => {
	const MUDBASE_OK: FakeAnswer = {
		status: 200,
		body: { message: 'Participant removed successfully' },
	};

	/** Acts as n8n does: a 401 refreshes the credential only when the request allows it. */
	function jwtSystem(ttlMs: number, loginAlwaysFails = false) {
		let expiresAt = -Infinity;
		const logins: Array<{ at: number; previousStillValid: boolean }> = [];
		const fake = new FakeSystem(
			clock,
			(sent) => {
				if (clock.now() < expiresAt && !loginAlwaysFails) return MUDBASE_OK;
				if (!sent.request.allowCredentialRefresh)
					return { status: 401, body: { message: 'Authentication required or invalid token' } };
				logins.push({ at: clock.now(), previousStillValid: clock.now() < expiresAt });
				if (loginAlwaysFails)
					return { status: 401, body: { message: 'Authentication required or invalid token' } };
				expiresAt = clock.now() + ttlMs;
				return MUDBASE_OK;
			},
			50,
		);
		return { fake, logins };
	}

	it('at concurrency 8, logs in exactly once per expiry and removes everyone', async () => {
		const { fake, logins } = jwtSystem(1_000);
		const outcomes = await clock.run(
			collect(
				newRun(pairsFor('mudbase', 300), {
					systems: {
						mudbase: runtimeFor('mudbase', fake.transport, {
							refreshableCredential: true,
							limits: { maxConcurrency: 8, ratePerSecond: 100, maxRatePerSecond: 100, burst: 8 },
						}),
					},
					clock,
					limiters,
				}),
			),
		);
		const span = clock.now() - fake.sent[0].at;
		recordReliability({
			table: 'Auth',
			case: 'engine, virtual clock: 1 s JWTs, 300 removals at concurrency 8',
			expected: 'removed 300 · logins ≤ ⌈span s⌉ + 1 · no login while a token was valid',
			observed: `${counted(outcomes.map((o) => o.status))} · ${logins.length} logins over ${(span / 1000).toFixed(1)} s · ${logins.filter((l) => l.previousStillValid).length} while valid`,
		});
		expect(statuses(outcomes)).toEqual({ removed: 300 });
		expect(logins.length).toBeGreaterThanOrEqual(3); // the token really expired mid-batch
		expect(logins.length).toBeLessThanOrEqual(Math.ceil(span / 1_000) + 1);
		expect(logins.filter((l) => l.previousStillValid)).toEqual([]); // never a second login for one expiry
		// Each login came from the single request allowed to refresh: none overlapped another request.
		for (const login of logins) {
			const overlapping = fake.sent.filter(
				(s) => s.at < login.at && (s.answeredAt ?? Infinity) > login.at,
			);
			expect(overlapping).toEqual([]);
		}
		expect(outcomes.every((o) => o.attempts <= 2)).toBe(true);
	});

	it('keeps the gate closed after an inconclusive probe answer (a 5xx says nothing about the token)', async () => {
		let expiresAt = -Infinity;
		let probes = 0;
		const fake = new FakeSystem(
			clock,
			(sent) => {
				if (sent.request.allowCredentialRefresh && ++probes === 2) return { status: 503 }; // a gateway error before auth
				if (clock.now() < expiresAt) return MUDBASE_OK;
				if (!sent.request.allowCredentialRefresh)
					return { status: 401, body: { message: 'invalid token' } };
				expiresAt = clock.now() + 1_000;
				return MUDBASE_OK;
			},
			50,
		);
		const outcomes = await clock.run(
			collect(
				newRun(pairsFor('mudbase', 300), {
					systems: {
						mudbase: runtimeFor('mudbase', fake.transport, {
							refreshableCredential: true,
							limits: { maxConcurrency: 8, ratePerSecond: 100, burst: 8 },
						}),
					},
					clock,
					limiters,
					random: half,
				}),
			),
		);
		expect(statuses(outcomes)).toEqual({ removed: 300 });
		const inconclusive = fake.sent.findIndex(
			(s) => s.answer && 'status' in s.answer && s.answer.status === 503,
		);
		expect(inconclusive).toBeGreaterThan(0);
		// The next request is again the single probe, not a wave of requests with the expired token.
		expect(fake.sent[inconclusive + 1].request.allowCredentialRefresh).toBe(true);
		expect(fake.sent[inconclusive + 1].at).toBeGreaterThanOrEqual(
			fake.sent[inconclusive].answeredAt as number,
		);
	});

	it('refreshes once more when the refreshed token had already expired on arrival (a login just before its whole-second exp)', async () => {
		let expiresAt = -Infinity;
		const logins: number[] = [];
		const fake = new FakeSystem(
			clock,
			(sent) => {
				if (clock.now() < expiresAt) return MUDBASE_OK;
				if (!sent.request.allowCredentialRefresh)
					return { status: 401, body: { message: 'Authentication required or invalid token' } };
				logins.push(clock.now());
				// The first login's token dies before the retry carrying it arrives; the second lives.
				expiresAt = logins.length === 1 ? clock.now() : clock.now() + 60_000;
				return logins.length === 1
					? { status: 401, body: { message: 'Authentication required or invalid token' } }
					: MUDBASE_OK;
			},
			50,
		);
		const outcomes = await clock.run(
			collect(
				newRun(pairsFor('mudbase', 20), {
					systems: {
						mudbase: runtimeFor('mudbase', fake.transport, {
							refreshableCredential: true,
							limits: { maxConcurrency: 8 },
						}),
					},
					clock,
					limiters,
				}),
			),
		);
		recordReliability({
			table: 'Auth',
			case: 'engine: the refreshed token had expired on arrival (login just before its exp)',
			expected: 'removed 20 · 2 logins · no circuit',
			observed: `${counted(outcomes.map((o) => o.status))} · ${logins.length} logins`,
		});
		expect(statuses(outcomes)).toEqual({ removed: 20 });
		expect(logins).toHaveLength(2);
		expect(fake.sent.slice(0, 2).map((s) => s.request.allowCredentialRefresh)).toEqual([
			true,
			true,
		]);
		expect(fake.sent).toHaveLength(21);
	});

	it('opens the circuit when a 401 survives two refreshes in a row', async () => {
		const { fake, logins } = jwtSystem(1_000, true);
		const outcomes = await clock.run(
			collect(
				newRun(pairsFor('mudbase', 20), {
					systems: {
						mudbase: runtimeFor('mudbase', fake.transport, {
							refreshableCredential: true,
							limits: { maxConcurrency: 8 },
						}),
					},
					clock,
					limiters,
				}),
			),
		);
		recordReliability({
			table: 'Auth',
			case: 'engine: a 401 that survives two refreshes (the token is never accepted)',
			expected: 'failed 20 · 2 requests · 2 logins · one clear reason',
			observed: `${counted(outcomes.map((o) => o.status))} · ${fake.sent.length} requests · ${logins.length} logins · "${outcomes.find((o) => !o.reason.startsWith('Mudbase is paused'))?.reason}"`,
		});
		expect(fake.sent).toHaveLength(2);
		expect(logins).toHaveLength(2);
		expect(statuses(outcomes)).toEqual({ failed: 20 });
		const rejected =
			'Mudbase rejected the credential (401: Authentication required or invalid token): check the token or API key';
		// Order is completion order: the 19 refused at once may complete before the pair that met the 401.
		expect(outcomes.map((o) => o.reason).sort()).toEqual(
			[
				rejected,
				...Array(19).fill(`Mudbase is paused: ${rejected} (also after refreshing the credential)`),
			].sort(),
		);
	});
});
