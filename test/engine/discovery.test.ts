/**
 * Limits discovered, not configured (DESIGN §4): with the package defaults the engine finds a
 * system's hidden rate and concurrency, adopts what it announces, treats overload as a request to
 * slow down, fails a wrong scope after one request, and hands what it learned to the next run.
 * Every system here hides its limits (test/support/hiddenSystem.ts, the sandbox's own bucket).
 */
import { LimiterRegistry } from '../../src/engine/limiter';
import type { PairOutcome } from '../../src/engine/outcome';
import { collect, countBy, newRun, pairsFor, runtimeFor } from '../support/engine';
import { FakeSystem, FLASHBACK_OK } from '../support/fakeSystem';
import { type HiddenRequest, HiddenSystem, removeAll } from '../support/hiddenSystem';
import { VirtualClock } from '../support/virtualClock';

let clock: VirtualClock;
beforeEach(() => {
	clock = new VirtualClock();
});

const statuses = (outcomes: PairOutcome[]): Record<string, number> =>
	countBy(outcomes, (o) => o.status);

/** Requests the system accepted in [from, to) (ms). */
const acceptedBetween = (requests: HiddenRequest[], from: number, to: number): number =>
	requests.filter((r) => r.status === 200 && r.at >= from && r.at < to).length;

describe('discovery with the package defaults', () => {
	it('slow start reaches an unannounced limit: the first 429 comes near it, then the rate holds there', async () => {
		const system = new HiddenSystem(clock, {
			rate: { rate: 20, burst: 5, headers: 'none' },
			latencyMs: 5,
		});
		const t0 = clock.now();
		const run = await removeAll(clock, system, 1_000);
		expect(statuses(run.outcomes)).toEqual({ removed: 1_000 });
		const first429 = system.requests.find((r) => r.status === 429) as HiddenRequest;
		// Starting at 5/s, the first 429 comes within 3 s, not after a minute at 5/s.
		expect(first429.at - t0).toBeLessThan(3_000);
		// From 5 s on, the system accepts at least 90 % of its limit every 5 s.
		for (let from = t0 + 5_000; from + 5_000 < clock.now() - 1_000; from += 5_000)
			expect(acceptedBetween(system.requests, from, from + 5_000)).toBeGreaterThanOrEqual(90);
		expect(system.rejected).toBeLessThan(1_000 * 0.02);
		// Ideal (N − burst) ÷ rate = 49.75 s.
		expect(run.elapsedMs).toBeLessThan(49_750 * 1.1);
	});

	it('adopts an announced policy above the starting rate after the first answer', async () => {
		const system = new HiddenSystem(clock, {
			rate: { rate: 20, burst: 5, headers: 'draft10' },
			latencyMs: 5,
		});
		const run = await removeAll(clock, system, 200);
		expect(statuses(run.outcomes)).toEqual({ removed: 200 });
		expect(system.rejected).toBe(0);
		// `RateLimit-Policy: "default";q=20;w=1`: paced at 98 % of 20/s from the second request on.
		const gaps = system.requests.slice(2).map((r, i) => r.at - system.requests[i + 1].at);
		expect(gaps.filter((gap) => gap !== 51 && gap !== 52)).toEqual([]);
	});

	it('the opening burst is one request: then one token at a time', async () => {
		const system = new HiddenSystem(clock, { latencyMs: 5 });
		await removeAll(clock, system, 3);
		// The bucket opens with one token plus 50 ms of the starting 5/s (timer lag, not a burst):
		// the credential probe, then the next token 0.75 ÷ 5 s later, then at the rising rate.
		expect(system.requests.map((r) => r.at - system.requests[0].at)).toEqual([0, 150, 325]);
	});

	it('a 503 with Retry-After pauses the system, is retried, and never opens the circuit', async () => {
		let overloaded = 12; // more than the 10 server errors that open a circuit
		const fake = new FakeSystem(
			clock,
			() =>
				overloaded-- > 0
					? {
							status: 503,
							headers: { 'retry-after': '1' },
							body: { message: 'Service Unavailable' },
						}
					: FLASHBACK_OK,
			10,
		);
		const outcomes = await clock.run(
			collect(
				newRun(pairsFor('flashback', 5), {
					systems: {
						flashback: runtimeFor('flashback', fake.transport, { limits: { maxConcurrency: 1 } }),
					},
					clock,
					limiters: new LimiterRegistry(clock),
				}),
			),
		);
		expect(statuses(outcomes)).toEqual({ removed: 5 });
		expect(fake.sent).toHaveLength(17);
		// Each 503 paused the whole system for its Retry-After: the next request a second later.
		// (Then the next token: at most one interval of the starting 5/s.)
		for (let i = 0; i < 12; i++) {
			const gap = fake.sent[i + 1].at - (fake.sent[i].answeredAt as number);
			expect(gap).toBeGreaterThanOrEqual(1_000);
			expect(gap).toBeLessThanOrEqual(1_200);
		}
		// 12 overload answers for the first pair: 10 free, 2 within its 5 attempts, then removed.
		expect(outcomes.find((o) => o.userId === 'u1')?.attempts).toBe(13);
	});

	it('an overloaded pair ends: after its free overload retries and its attempts, it fails saying so', async () => {
		const fake = new FakeSystem(
			clock,
			() => ({
				status: 503,
				headers: { 'retry-after': '1' },
				body: { message: 'Service Unavailable' },
			}),
			10,
		);
		const outcomes = await clock.run(
			collect(
				newRun(pairsFor('flashback', 1), {
					systems: {
						flashback: runtimeFor('flashback', fake.transport, { retry: { maxAttempts: 3 } }),
					},
					clock,
					limiters: new LimiterRegistry(clock),
				}),
			),
		);
		expect(fake.sent).toHaveLength(13); // 3 attempts + 10 free overload retries
		expect(outcomes[0]).toMatchObject({
			status: 'failed',
			kind: 'overloaded',
			httpStatus: 503,
			attempts: 13,
			reason:
				'Flashback answered 503 (overloaded): Service Unavailable (still asking to slow down after 13 requests)',
		});
		expect(outcomes[0].uncertain).toBeUndefined();
	});

	it.each([
		['503 + Retry-After', 1],
		['503 with no header', undefined],
	] as const)('finds a concurrency cap (%s) and holds it', async (_name, retryAfterSeconds) => {
		const system = new HiddenSystem(clock, {
			cap: { limit: 2, status: 503, ...(retryAfterSeconds ? { retryAfterSeconds } : {}) },
			latencyMs: 600,
		});
		const run = await removeAll(clock, system, 200);
		expect(statuses(run.outcomes)).toEqual({ removed: 200 });
		expect(system.maxInFlight).toBe(2);
		// Found at once, then probed one higher after half a minute of clean answers at it.
		expect(system.rejected).toBeLessThanOrEqual(3);
		expect(run.elapsedMs).toBeLessThan(((200 * 600) / 2) * 1.1);
	});

	it('fails a wrong scope after one request, and only that scope', async () => {
		const fake = new FakeSystem(
			clock,
			(sent) =>
				sent.request.url.includes('/typo/')
					? { status: 404, body: { message: 'Product not found' } }
					: { status: 200, body: PA_OK },
			10,
		);
		const typo = pairsFor('productAccess', 20, 't').map((p) => ({
			...p,
			scope: { productId: 'typo' },
		}));
		const fine = pairsFor('productAccess', 5, 'f');
		const outcomes = await clock.run(
			collect(
				newRun([...typo, ...fine], {
					systems: { productAccess: runtimeFor('productAccess', fake.transport) },
					clock,
					limiters: new LimiterRegistry(clock),
				}),
			),
		);
		expect(fake.sent.filter((s) => s.request.url.includes('/typo/'))).toHaveLength(1);
		const typoOutcomes = outcomes.filter((o) => o.scope.productId === 'typo');
		expect(countBy(typoOutcomes, (o) => `${o.status}/${o.kind}/${o.attempts}`)).toEqual({
			'failed/wrong_scope/1': 1,
			'failed/wrong_scope/0': 19,
		});
		const answer =
			'Product Access answered 404: Product not found: the product id is unknown to this account: check the product id and the base URL';
		expect(new Set(typoOutcomes.map((o) => o.reason))).toEqual(
			new Set([
				answer,
				`${answer} (not sent: an earlier request for this Product Access scope got this answer)`,
			]),
		);
		expect(statuses(outcomes.filter((o) => o.scope.productId === 'p1'))).toEqual({ removed: 5 });
	});
});

describe('what a system taught is kept for the next run', () => {
	it('the next run in the process starts at the learned rate, without slow start', async () => {
		const limiters = new LimiterRegistry(clock);
		const system = new HiddenSystem(clock, {
			rate: { rate: 20, burst: 5, headers: 'none' },
			latencyMs: 5,
		});
		await removeAll(clock, system, 400, { limiters, prefix: 'a' });
		await clock.run(clock.sleep(60_000)); // a minute later, the same system
		const t1 = clock.now();
		const second = await removeAll(clock, system, 400, { limiters, prefix: 'b' });
		expect(statuses(second.outcomes)).toEqual({ removed: 400 });
		// From scratch the first second carries 5 (the starting rate); learned, close to 20.
		expect(acceptedBetween(system.requests, t1, t1 + 1_000)).toBeGreaterThanOrEqual(17);
		expect(second.elapsedMs).toBeLessThan((400 / 20) * 1000 * 1.08);
	});

	it('after a cut made on too few answers, the rate is back at the limit within 10 s of clean answers', async () => {
		const limiters = new LimiterRegistry(clock);
		// A system that refuses the very first request (nothing to measure: the rate is halved).
		let first = true;
		const system = new HiddenSystem(clock, {
			rate: { rate: 20, burst: 5, headers: 'none' },
			latencyMs: 5,
		});
		const send = system.transport.send;
		system.transport.send = async (request) => {
			if (first) {
				first = false;
				return { status: 429, headers: {}, body: '{}' };
			}
			return send(request);
		};
		const t0 = clock.now();
		await removeAll(clock, system, 600, {
			limiters,
			limits: { ratePerSecond: 12, maxRatePerSecond: 100 },
		});
		// Cut to 5.7/s at once; 10 s later the system accepts at least 90 % of its limit.
		expect(acceptedBetween(system.requests, t0 + 10_000, t0 + 15_000)).toBeGreaterThanOrEqual(90);
	});

	it('once a competing run ends, the other run has the whole limit at once', async () => {
		const limiters = new LimiterRegistry(clock);
		const system = new HiddenSystem(clock, {
			rate: { rate: 20, burst: 5, headers: 'none' },
			latencyMs: 5,
		});
		let competitorEnded = 0;
		const big = removeAll(clock, system, 800, { limiters, prefix: 'big' });
		const competitor = (async () => {
			await clock.sleep(5_000);
			const outcomes = await collect(
				newRun(pairsFor('flashback', 100, 'c'), {
					systems: {
						flashback: runtimeFor('flashback', system.transport, { limits: { burst: undefined } }),
					},
					clock,
					limiters,
				}),
			);
			competitorEnded = clock.now();
			return outcomes;
		})();
		await clock.run(Promise.all([big, competitor]));
		// Shared fairly while both ran; then the big run alone at ≥ 90 % of the limit.
		expect(
			acceptedBetween(system.requests, competitorEnded, competitorEnded + 5_000),
		).toBeGreaterThanOrEqual(90);
	});
});

const PA_OK = {
	cancelledAt: null,
	suspendedAt: null,
	id: 'sub_1',
	product: { id: 'p1', title: 'Product' },
	createdAt: '2026-01-01T00:00:00Z',
	user: { id: 'u', name: 'U', image: null },
};
