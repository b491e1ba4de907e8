/**
 * A run: (row, system, scope) pairs executed with every system side by side, each through its
 * shared limiter, retried per `retry.ts`, ending in exactly one outcome per pair, streamed out as
 * pairs complete.
 */
import { setMaxListeners } from 'node:events';
import { redactingTransport } from '../secrets';
import { type ClassifyOptions, classifyLookup } from '../systems/classify';
import {
	buildChangeRequest,
	buildRemovalRequest,
	type RemovalRequest,
	type RequestOptions,
} from '../systems/request';
import type { LookupTarget, SystemDefinition, SystemId, Verdict } from '../systems/types';
import type { HttpResponse, Transport, TransportError } from '../transport/types';
import { sendRemoval } from './attempt';
import { Channel } from './channel';
import { abortError, type Clock, realClock } from './clock';
import { type LimiterRegistry, type LimitSettings, type SystemLimiter } from './limiter';
import { type OutcomeKind, type Pair, type PairOutcome, pairFields } from './outcome';
import {
	INCONCLUSIVE_KINDS,
	OVERLOAD_KINDS,
	RETRIED_KINDS,
	retryDelayMs,
	type RetrySettings,
	transportErrorIsUncertain,
	UNCERTAIN_KINDS,
} from './retry';
import { ScopeGate } from './scopeGate';
import type { AnswerCount, RunRecorder } from './timeline';

/** Everything the engine needs to talk to one system in this run. */
export interface SystemRuntime {
	system: SystemDefinition;
	baseUrl: string;
	transport: Transport;
	/** Secret values to scrub from everything the system sends back. */
	secrets: () => readonly string[];
	/** Identifies the credential: limiters are shared per system + credential. */
	credentialKey: string;
	limits: LimitSettings;
	retry: RetrySettings;
	/** The credential can be refreshed on a 401 (Mudbase login): the refresh gate applies. */
	refreshableCredential?: boolean;
	classify?: ClassifyOptions;
	request?: RequestOptions;
}

export interface RunOptions {
	systems: Partial<Record<SystemId, SystemRuntime>>;
	limiters: LimiterRegistry;
	clock?: Clock;
	/** For backoff jitter; inject a seeded one in tests. */
	random?: () => number;
	/** Cancels the run: waiting stops at once and only this run's queued requests are dropped. */
	signal?: AbortSignal;
	/** Pairs started but not finished, at most (bounds memory for a streamed input). */
	maxOutstanding?: number;
	/** Records answers, limiter samples, pauses and circuits over time (progress, the report). */
	recorder?: RunRecorder;
}

export interface SystemRunStats {
	requests: number;
	rateLimited: number;
	transportErrors: number;
}

export interface Run extends AsyncIterable<PairOutcome> {
	stats(): Readonly<Partial<Record<SystemId, SystemRunStats>>>;
}

/** How the timeline counts an answer's verdict: only a request to slow down is not accepted. */
function answerCount(kind: Verdict['kind']): AnswerCount {
	if (kind === 'rate_limited') return 'rateLimited';
	if (kind === 'overloaded') return 'overloaded';
	return 'accepted';
}

let runCounter = 0;
/** Lookups per pair when the change keeps answering 412 (the user keeps changing under us). */
const MAX_LOOKUPS = 3;

export function runRemovals(
	pairs: Iterable<Pair> | AsyncIterable<Pair>,
	runOptions: RunOptions,
): Run {
	// One listener on the caller's signal; every wait of this run listens to our own signal instead
	// (thousands of pairs may wait at once, far above Node's 10-listener warning).
	const cancel = new AbortController();
	setMaxListeners(0, cancel.signal);
	if (runOptions.signal?.aborted) cancel.abort(runOptions.signal.reason);
	else
		runOptions.signal?.addEventListener('abort', () => cancel.abort(runOptions.signal?.reason), {
			once: true,
		});
	const options: RunOptions = { ...runOptions, signal: cancel.signal };
	const clock = options.clock ?? realClock;
	const random = options.random ?? Math.random;
	const maxOutstanding = options.maxOutstanding ?? 1000;
	const runId = `run-${++runCounter}`;
	const stats: Partial<Record<SystemId, SystemRunStats>> = {};
	const channel = new Channel<PairOutcome>();
	const used = new Set<SystemLimiter>();
	const limiters = new Map<SystemId, Promise<SystemLimiter>>();
	const transports = new Map<SystemId, Transport>();
	const scopes = new ScopeGate();
	let started = false;

	function statsOf(system: SystemId): SystemRunStats {
		return (stats[system] ??= { requests: 0, rateLimited: 0, transportErrors: 0 });
	}

	function limiterOf(runtime: SystemRuntime): Promise<SystemLimiter> {
		const id = runtime.system.id;
		let limiter = limiters.get(id);
		if (!limiter) {
			limiter = options.limiters
				.get(
					`${id}:${runtime.credentialKey}`,
					runtime.limits,
					runtime.refreshableCredential === true,
				)
				.then((got) => {
					used.add(got);
					options.recorder?.watch(id, got);
					return got;
				});
			limiters.set(id, limiter);
		}
		return limiter;
	}

	function transportOf(runtime: SystemRuntime): Transport {
		const id = runtime.system.id;
		let transport = transports.get(id);
		if (!transport) {
			transport = redactingTransport(runtime.transport, runtime.secrets);
			transports.set(id, transport);
		}
		return transport;
	}

	async function removePair(pair: Pair): Promise<PairOutcome> {
		const startedAt = clock.now();
		let attempts = 0;
		const finish = (
			kind: OutcomeKind,
			status: PairOutcome['status'],
			reason: string,
			extra: Partial<PairOutcome> = {},
		): PairOutcome => ({
			...pairFields(pair),
			status,
			kind,
			attempts,
			durationMs: clock.now() - startedAt,
			reason,
			...extra,
		});

		const runtime = options.systems[pair.system];
		if (!runtime) {
			return finish('not_configured', 'failed', `${pair.system} is not configured for this run`);
		}
		const built = buildRemovalRequest(
			runtime.system,
			runtime.baseUrl,
			pair.scope,
			pair.userId,
			runtime.request,
		);
		if (!built.ok) return finish('invalid_input', 'failed', built.reason);

		const limiter = await limiterOf(runtime);
		const transport = transportOf(runtime);
		const counters = statsOf(pair.system);
		const { retry, system, classify, baseUrl } = runtime;
		const name = system.displayName;
		/** Requests of the current step (lookup or change) that count against `retry.maxAttempts`. */
		let counted = 0;
		let freePasses = 0;
		let overloads = 0;
		/** The first attempt whose outcome is unknown: its answer was lost, or said nothing about it. */
		let uncertain: { reason: string; lost: boolean } | undefined;
		let last: { kind: OutcomeKind; reason: string; httpStatus?: number } | undefined;

		const scopeKey = `${pair.system}:${JSON.stringify(pair.scope)}`;
		let probingScope = false;
		const turn = await scopes.enter(scopeKey, options.signal);
		if (turn.kind === 'wrong') {
			return finish(
				'wrong_scope',
				'failed',
				`${turn.reason} (not sent: an earlier request for this ${name} scope got this answer)`,
			);
		}
		probingScope = turn.kind === 'probe';
		try {
			return await removeInSteps(built.value);
		} finally {
			if (probingScope) scopes.settle(scopeKey, { kind: 'ended' });
		}

		/**
		 * One request, or a lookup then the change (SCIM): each step with its own attempts, through
		 * the same limiter. A 412 on the change (the user changed since the lookup) looks again.
		 */
		async function removeInSteps(first: RemovalRequest): Promise<PairOutcome> {
			const lookup = system.lookup;
			if (!lookup) return settled(await attemptAll(first, 'change'));
			for (let looks = 1; ; looks++) {
				const found = await attemptAll(first, 'lookup');
				if (!('found' in found)) return settled(found);
				const change = buildChangeRequest(system, baseUrl, pair.scope, found.found);
				if (!change.ok) return finish('invalid_input', 'failed', change.reason);
				const result = await attemptAll(change.value, 'change');
				if (!('again' in result) || looks >= MAX_LOOKUPS) return settled(result);
			}
		}

		function settled(result: StepResult): PairOutcome {
			if ('found' in result || 'again' in result) return failLast();
			return result;
		}

		function failLast(): PairOutcome {
			const base = last ?? { kind: 'transport_error' as const, reason: 'no attempt was made' };
			const suffix = !uncertain
				? ''
				: uncertain.lost
					? ' An earlier attempt may have removed the user (its answer was lost); run again to confirm.'
					: ' An earlier attempt may have removed the user (its answer did not say whether it acted); run again to confirm.';
			const slowDown = OVERLOAD_KINDS.has(base.kind)
				? ` (still asking to slow down after ${attempts} requests)`
				: '';
			return finish(base.kind, 'failed', `${base.reason}${slowDown}${suffix}`, {
				...(base.httpStatus !== undefined ? { httpStatus: base.httpStatus } : {}),
				...(uncertain ? { uncertain: true as const } : {}),
			});
		}

		async function attemptAll(
			request: RemovalRequest,
			step: 'lookup' | 'change',
		): Promise<StepResult> {
			counted = 0;
			freePasses = 0;
			overloads = 0;
			const interpret =
				step === 'lookup'
					? (response: HttpResponse) => classifyLookup(system, response, pair.userId, classify)
					: undefined;
			while (counted < retry.maxAttempts) {
				const permit = await limiter.acquire(runId, options.signal);
				if ('refused' in permit) {
					options.recorder?.refused(pair.system, permit.refused);
					last = { kind: 'circuit_open', reason: `${name} is paused: ${permit.refused}` };
					return failLast();
				}
				counted++;
				attempts++;
				counters.requests++;
				const result = await sendRemoval(system, request, transport, {
					timeoutMs: retry.requestTimeoutMs,
					allowCredentialRefresh: permit.allowRefresh,
					classify,
					...(interpret ? { interpret } : {}),
				});

				if ('transportError' in result) {
					await permit.release({ kind: 'transport_error', reason: result.transportError.message });
					counters.transportErrors++;
					const error: TransportError = result.transportError;
					if (error.kind === 'aborted') throw abortError(options.signal);
					options.recorder?.answered(pair.system, 'transportErrors');
					// A lookup is a read: its lost answer changed nothing.
					if (step === 'change' && transportErrorIsUncertain(error.kind, error.code)) {
						uncertain ??= { reason: error.message, lost: true };
					}
					last = { kind: 'transport_error', reason: `${name}: no answer (${error.message})` };
					await backoff(counted);
					continue;
				}

				const verdict: Verdict = result.verdict;
				const advice = await permit.release({
					kind: verdict.kind,
					headers: result.response.headers,
					reason: verdict.reason,
					...(verdict.concurrencyLimited ? { concurrencyLimited: true } : {}),
				});
				options.recorder?.answered(pair.system, answerCount(verdict.kind));
				last = { kind: verdict.kind, reason: verdict.reason, httpStatus: verdict.httpStatus };
				if (probingScope && !INCONCLUSIVE_KINDS.has(verdict.kind)) {
					probingScope = false;
					scopes.settle(
						scopeKey,
						verdict.kind === 'wrong_scope'
							? { kind: 'wrong', reason: verdict.reason }
							: { kind: 'open' },
					);
				}
				if (advice === 'retry-free' && freePasses < retry.maxAttempts) {
					// A 401 while the credential is being refreshed: ask again, not counted against the pair.
					counted--;
					freePasses++;
					continue;
				}
				const answered = { httpStatus: verdict.httpStatus };
				switch (verdict.kind) {
					case 'removed':
						return finish('removed', 'removed', verdict.reason, {
							...answered,
							...(verdict.detail ? { detail: verdict.detail } : {}),
						});
					case 'not_there':
						if (uncertain) {
							return finish(
								'removed',
								'removed',
								`Removed: an earlier attempt got no clear answer (${uncertain.reason}) and ${name} now says the user is not there`,
								{ ...answered, confirmedAfterUncertain: true },
							);
						}
						return finish('not_there', 'not_found', verdict.reason, answered);
					case 'self_removal':
						return finish('self_removal', 'skipped', verdict.reason, answered);
					case 'found':
						if (verdict.target) return { found: verdict.target };
						break;
					case 'precondition_failed':
						if (system.lookup) return { again: true };
						break;
					default:
						break;
				}
				if (!RETRIED_KINDS.has(verdict.kind)) return failLast();
				// A lookup is a read: a 500 to it changed nothing.
				if (step === 'change' && UNCERTAIN_KINDS.has(verdict.kind))
					uncertain ??= { reason: verdict.reason, lost: false };
				if (OVERLOAD_KINDS.has(verdict.kind)) {
					counters.rateLimited++;
					// The system asks for time, it does not fail: not an attempt, up to a budget of its own.
					if (overloads < retry.maxOverloadRetries) counted--;
					overloads++;
					// A Retry-After already paused the whole system in the limiter; otherwise back off.
					if (limiter.pausedUntilMs > clock.now()) continue;
					await backoff(overloads);
					continue;
				}
				await backoff(counted);
			}
			return failLast();
		}

		type StepResult = PairOutcome | { found: LookupTarget } | { again: true };

		async function backoff(attempt: number): Promise<void> {
			if (counted >= retry.maxAttempts) return;
			await clock.sleep(retryDelayMs(Math.max(1, attempt), retry, random), options.signal);
		}
	}

	async function drive(): Promise<void> {
		let outstanding = 0;
		let slotFreed: (() => void) | undefined;
		let failed = false;
		const settle = (outcome: PairOutcome): void => {
			outstanding--;
			channel.push(outcome);
			slotFreed?.();
		};
		const fail = (error: unknown): void => {
			failed = true;
			outstanding--;
			channel.fail(error);
			slotFreed?.();
		};
		try {
			for await (const pair of pairs) {
				if (failed) return;
				if (options.signal?.aborted) throw abortError(options.signal);
				while (outstanding >= maxOutstanding) {
					await new Promise<void>((resolve) => (slotFreed = resolve));
					if (failed) return;
				}
				outstanding++;
				removePair(pair).then(settle, fail);
			}
			while (outstanding > 0) {
				await new Promise<void>((resolve) => (slotFreed = resolve));
				if (failed) return;
			}
			channel.close();
		} catch (error) {
			channel.fail(error);
		} finally {
			if (failed || options.signal?.aborted) {
				for (const limiter of used) limiter.dropRun(runId, abortError(options.signal));
			} else for (const limiter of used) limiter.dropRun(runId);
		}
	}

	return {
		[Symbol.asyncIterator]() {
			if (!started) {
				started = true;
				void drive();
			}
			return channel[Symbol.asyncIterator]();
		},
		stats: () => stats,
	};
}
