/**
 * One limiter per system + credential, living for the process and shared by every run: it decides
 * when the next request to that system may go, and from which run. It composes small parts
 * (`limits/`), each with one idea and its own tests:
 *
 * - `store.ts`: the state several processes share — tokens (`tokenBucket.ts`), leases for
 *   requests in flight (`leases.ts`), pause-until, the circuit (`circuit.ts`), consecutive server
 *   errors, what was learned, the system's one adapted rate (`SharedRate`: each limiter proposes,
 *   the store keeps one, every admission answers with it), every worker's accepted answers (what
 *   a 429 is measured on) and whose run has waited longest (`TurnRequest`) — each change one
 *   atomic step of a `LimitStore`.
 * - `fairQueue.ts`: per-run queues served round-robin; across workers the store gives the turn.
 * - `credentialGate.ts`: the credential probe and the JWT refresh gate.
 * - `pause.ts`: what an answer's rate-limit headers ask of the whole system (pause, quota, remaining).
 * - `adaptiveRate.ts`, `adaptiveConcurrency.ts`: discovery — the configured rate and concurrency
 *   are starting points, an explicit maximum is a ceiling, an announced limit is used just under it.
 *
 * What it decides here: a pause applies to the whole system, and one longer than
 * `maxRetryAfterMs` is a quota (the circuit opens until then); overload (a 429,
 * a 503 with Retry-After or an overload message) slows the system down and never counts toward the
 * server-error circuit; `circuitAfterServerErrors` consecutive 5xx or lost answers open the circuit
 * for every run; a permission 403, a refused login or a 401 that survives two refreshes opens it for
 * the run that met it only (the next run, with a fixed credential, tries again).
 *
 * Concurrency is counted with leases in the store rather than with p-limit: fairness needs the
 * scheduler to choose which run's request goes next, the gate needs "nothing in flight", the limit
 * moves while requests wait, and several processes must be able to share the count — p-limit's
 * in-process FIFO queue with a fixed limit offers none of these.
 */
import { randomBytes } from 'node:crypto';
import { AdaptiveConcurrency } from './limits/adaptiveConcurrency';
import { AdaptiveRate, type RateState, WINDOW_MS } from './limits/adaptiveRate';
import { abortError, type Clock, realClock } from './clock';
import { CredentialGate } from './limits/credentialGate';
import { FairQueue, type Waiter } from './limits/fairQueue';
import { pauseReason, readPause } from './limits/pause';
import type { Observation } from './limits/observation';
import {
	type AdmitRequest,
	type LimitStore,
	MemoryLimitStore,
	type SharedRate,
} from './limits/store';
import { OVERLOAD_KINDS } from './retry';

export type { Observation } from './limits/observation';

export interface LimitSettings {
	/** Where the rate starts: discovery raises or lowers it. */
	ratePerSecond: number;
	/** An explicit ceiling on the rate (Infinity: none, discovered). */
	maxRatePerSecond: number;
	/** Where concurrency starts. */
	concurrency: number;
	/** An explicit ceiling on requests in flight. */
	maxConcurrency: number;
	/** Tokens the bucket holds at most; absent: one plus 50 ms of the rate (timer lag, never a burst). */
	burst?: number;
	/** A pause longer than this (a daily quota) fails the system's pairs fast instead of waiting. */
	maxRetryAfterMs: number;
	/** Consecutive 5xx / transport failures that open the circuit. */
	circuitAfterServerErrors: number;
	/** How long an open circuit waits before one probe request (not for quota circuits: they wait until T). */
	circuitCooldownMs: number;
	/** A request's slot comes back after this long even if its process died (the store's lease). */
	leaseMs: number;
	/**
	 * How long requests wait for an unreachable shared store (Redis) before their pairs fail unsent:
	 * a worker never falls back to the whole budget for itself.
	 */
	maxStoreOutageMs: number;
}

export const DEFAULT_LIMITS: LimitSettings = {
	ratePerSecond: 5,
	maxRatePerSecond: Infinity,
	concurrency: 4,
	maxConcurrency: 64,
	maxRetryAfterMs: 120_000,
	circuitAfterServerErrors: 10,
	circuitCooldownMs: 60_000,
	leaseMs: 120_000,
	maxStoreOutageMs: 30_000,
};

/** The status an overload answer had (the verdict kinds say which), for a pause's reason. */
const OVERLOAD_STATUS: Partial<Record<Observation['kind'], number>> = {
	rate_limited: 429,
	overloaded: 503,
};

/** While every lease is held, the pump looks again this often (another worker may have released). */
const FULL_POLL_MS = 50;

/**
 * A waiting sender asks the store again within a token's time; past that and this much more, the
 * others stop letting it go first (`TurnRequest.staleMs`): its run ended, or its process is busy.
 */
const TURN_STALE_SLACK_MS = 100;

/** While the shared store is unreachable, the pump asks it again this often. */
const STORE_RETRY_MS = 500;

/** A store error as a reason may show it: its message, one line, cut (never a secret: no values). */
function storeError(error: unknown): string {
	const message = error instanceof Error ? error.message : String(error);
	return message.replace(/\s+/g, ' ').slice(0, 120);
}

/** `retry-free`: a 401 while the refresh gate is closing; ask again without using an attempt. */
export type ReleaseAdvice = 'ok' | 'retry-free';

export interface Permit {
	/** This request may make the credential refresh (it is the gate's single probe). */
	readonly allowRefresh: boolean;
	release(observation: Observation): Promise<ReleaseAdvice>;
}

export interface Refusal {
	refused: string;
}

/** Share of an announced rate to pace at: requests bunch on the way, and the system counts arrivals. */
const ANNOUNCED_MARGIN = 0.98;
/** Never pace below this: one request every 10 s still finishes a small batch. */
const MIN_RATE = 0.1;
/** The rate counts as what holds requests back for this long after the pump waited for a token. */
const RATE_BOUND_MS = 1_000;
/** Timer lag the bucket absorbs without losing rate: it holds one token plus this much of the rate. */
const LAG_ALLOWANCE_S = 0.05;

export class SystemLimiter {
	private settings: LimitSettings;
	private readonly queue = new FairQueue<Permit | Refusal>();
	/**
	 * Credential circuits (a 401 that survives refresh, a permission 403) belong to the run that
	 * met them: the user fixes the credential or the scope and runs again, and that run must not
	 * inherit a stale refusal. System circuits (5xx, quota) are in the store: the system is down.
	 */
	private readonly runCircuits = new Map<string, string>();
	private readonly rate: AdaptiveRate;
	private readonly concurrency: AdaptiveConcurrency;
	private readonly gate: CredentialGate;
	private announcedRate: number | undefined;
	private pausedUntil = 0;
	private lastPauseReason: string | undefined;
	/** When the pump last waited for a token with requests waiting and room in flight. */
	private lastRateWait = -Infinity;
	private pumping = false;
	private wakeUp: AbortController | undefined;
	/** Requests this process has in flight (the store's leases count every worker's). */
	private inFlightHere = 0;
	/** When the shared store stopped answering (undefined: it answers). */
	private storeDownSince: number | undefined;
	/** This limiter among the workers that share the system's rate (`SharedRate`). */
	private readonly sender = randomBytes(6).toString('hex');
	/** The shared rate as the store last answered it (store clock). */
	private shared: SharedRate | undefined;

	constructor(
		readonly key: string,
		settings: LimitSettings,
		refreshable: boolean,
		private readonly clock: Clock,
		private readonly store: LimitStore,
		learned?: Awaited<ReturnType<LimitStore['learned']>>,
	) {
		this.settings = { ...settings };
		const now = clock.now();
		this.rate = new AdaptiveRate(
			settings.ratePerSecond,
			settings.maxRatePerSecond,
			now,
			MIN_RATE,
			learned,
		);
		this.concurrency = new AdaptiveConcurrency(
			settings.concurrency,
			settings.maxConcurrency,
			now,
			learned,
		);
		this.announcedRate = learned?.announced;
		this.gate = new CredentialGate(refreshable);
	}

	/** A later run's settings win (the user edited them); what was learned is kept under them. */
	configure(settings: LimitSettings): void {
		this.settings = { ...settings };
		this.rate.setMax(settings.maxRatePerSecond);
		this.concurrency.setMax(settings.maxConcurrency);
		const now = this.clock.now();
		this.rate.relaxIfQuiet(now);
		this.concurrency.relaxIfQuiet(now);
		this.kick();
	}

	/** The rate requests are paced at now (discovered, announced, at most the explicit maximum). */
	get effectiveRate(): number {
		const announced =
			this.announcedRate === undefined ? Infinity : this.announcedRate * ANNOUNCED_MARGIN;
		const ceiling = Math.min(this.settings.maxRatePerSecond, announced);
		return Math.max(MIN_RATE, Math.min(this.rate.value, ceiling));
	}

	/** Requests allowed in flight now (discovered, at most the explicit maximum). */
	get effectiveConcurrency(): number {
		return this.concurrency.value;
	}

	get pausedUntilMs(): number {
		return this.pausedUntil;
	}

	/** Why the current (or last) pause was asked for, e.g. "429 with Retry-After 3 s". */
	get pauseReason(): string | undefined {
		return this.lastPauseReason;
	}

	/** Waits for this run's turn; resolves with a permit, or a refusal when a circuit is open. */
	acquire(runId: string, signal?: AbortSignal): Promise<Permit | Refusal> {
		if (signal?.aborted) return Promise.reject(abortError(signal));
		const runCircuit = this.runCircuits.get(runId);
		if (runCircuit !== undefined) return Promise.resolve({ refused: runCircuit });
		return new Promise<Permit | Refusal>((resolve, reject) => {
			const onAbort = (): void => {
				this.queue.remove(waiter);
				reject(abortError(signal));
			};
			const waiter: Waiter<Permit | Refusal> = {
				runId,
				resolve,
				reject,
				cleanup: () => signal?.removeEventListener('abort', onAbort),
			};
			signal?.addEventListener('abort', onAbort, { once: true });
			this.queue.push(waiter, this.clock.now());
			this.kick();
		});
	}

	/** Forgets a run's queue (at its end, or when it is cancelled: only its own waiters go). */
	dropRun(runId: string, error?: Error): void {
		this.runCircuits.delete(runId);
		for (const waiter of this.queue.takeRun(runId)) waiter.reject(error ?? abortError());
	}

	private admitRequest(concurrency: number): AdmitRequest {
		const rate = this.effectiveRate;
		const offset = this.store.now() - this.clock.now();
		const lastDecrease = this.rate.lastDecreaseAt;
		const since = this.queue.nextTurnSince;
		return {
			...(since !== undefined
				? {
						turn: {
							sender: this.sender,
							since: since + offset,
							// It asks again within a token's time (or the full-poll) while it waits.
							staleMs: 1000 / rate + TURN_STALE_SLACK_MS,
						},
					}
				: {}),
			ratePerSecond: rate,
			burst: this.settings.burst ?? 1 + rate * LAG_ALLOWANCE_S,
			concurrency,
			leaseMs: this.settings.leaseMs,
			proposal: {
				ratePerSecond: rate,
				state: JSON.stringify(this.rate.snapshot(offset)),
				...(lastDecrease !== undefined ? { lastDecrease: lastDecrease + offset } : {}),
				sender: this.sender,
				...(this.shared ? { basedOn: this.shared.version } : {}),
			},
		};
	}

	/** The store answered with the system's shared rate: another worker's change is adopted. */
	private follow(shared: SharedRate): void {
		const seen = this.shared?.version === shared.version;
		this.shared = shared;
		if (seen || shared.sender === this.sender) return;
		let state: RateState;
		try {
			state = JSON.parse(shared.state) as RateState;
		} catch {
			return; // not ours to read (another version of the package): keep adapting alone
		}
		if (typeof state?.rate !== 'number' || typeof state.lastUpdate !== 'number') return;
		this.rate.restore(state, this.store.now() - this.clock.now());
	}

	private kick(): void {
		this.wakeUp?.abort();
		void this.pump();
	}

	private async pump(): Promise<void> {
		if (this.pumping) return;
		this.pumping = true;
		try {
			for (;;) {
				this.refuseCircuitedRuns();
				if (this.queue.isEmpty) return;
				// The credential gate counts this process's requests (its probe goes alone from here);
				// the store's leases count every worker's, against the system's one concurrency limit.
				if (this.inFlightHere >= this.gate.dispatchLimit) return; // our release kicks us again
				const limit = this.concurrency.value;
				let admission: Awaited<ReturnType<LimitStore['admit']>>;
				try {
					admission = await this.store.admit(this.key, this.admitRequest(limit));
					this.storeDownSince = undefined;
					if (admission.rate) this.follow(admission.rate);
				} catch (error) {
					// The shared store (Redis) is unreachable: nothing is sent without its permission,
					// so no worker takes the whole budget for itself. Ask again; past the outage limit,
					// the waiting pairs fail unsent with the reason.
					const now = this.clock.now();
					this.storeDownSince ??= now;
					const downMs = now - this.storeDownSince;
					if (downMs >= this.settings.maxStoreOutageMs) {
						const reason = `the shared limit store did not answer for ${Math.round(downMs / 1000)} s (${storeError(error)}): not sent, so that no worker goes over the limit alone. Run again once it is back`;
						for (const waiter of this.queue.takeAll()) waiter.resolve({ refused: reason });
						this.storeDownSince = undefined;
						return;
					}
					await this.sleepInterruptibly(STORE_RETRY_MS);
					continue;
				}
				if (admission.kind === 'refused') {
					for (const waiter of this.queue.takeAll()) waiter.resolve({ refused: admission.reason });
					return;
				}
				if (admission.kind === 'full') {
					// This process's releases kick the pump at once; another worker's (a shared store)
					// or an expired lease cannot, so look again after a short while.
					await this.sleepInterruptibly(FULL_POLL_MS);
					continue;
				}
				if (admission.kind === 'wait') {
					if (!admission.paused) this.lastRateWait = this.clock.now();
					await this.sleepInterruptibly(admission.ms);
					continue;
				}
				const waiter = this.queue.next(this.clock.now());
				if (!waiter) {
					// Its run was cancelled while we asked: give the slot back (the token is spent).
					await this.quietly(this.store.release(this.key, admission.leaseId));
					continue;
				}
				this.dispatch(waiter, admission.leaseId, admission.inFlight, admission.circuitProbe);
			}
		} finally {
			this.pumping = false;
		}
	}

	/** A store call whose failure must not lose an answer already received (undefined if it failed). */
	private async quietly<T>(call: Promise<T>): Promise<T | undefined> {
		try {
			return await call;
		} catch {
			return undefined;
		}
	}

	private async sleepInterruptibly(ms: number): Promise<void> {
		const controller = new AbortController();
		this.wakeUp = controller;
		try {
			await this.clock.sleep(ms, controller.signal);
		} catch {
			// woken early: the state changed, so the loop looks again
		} finally {
			if (this.wakeUp === controller) this.wakeUp = undefined;
		}
	}

	private dispatch(
		waiter: Waiter<Permit | Refusal>,
		leaseId: string,
		inFlight: number,
		circuitProbe: boolean,
	): void {
		const credentialProbe = this.gate.onDispatch();
		this.inFlightHere++;
		let released = false;
		const sentAt = this.clock.now();
		waiter.resolve({
			allowRefresh: this.gate.mayRefresh(credentialProbe),
			release: async (observation) => {
				if (released) return 'ok';
				released = true;
				this.inFlightHere--;
				return this.release(observation, {
					runId: waiter.runId,
					leaseId,
					sentAt,
					inFlight,
					credentialProbe,
					circuitProbe,
				});
			},
		});
	}

	private async release(
		observation: Observation,
		sent: {
			runId: string;
			leaseId: string;
			sentAt: number;
			inFlight: number;
			credentialProbe: boolean;
			circuitProbe: boolean;
		},
	): Promise<ReleaseAdvice> {
		const { kind, reason } = observation;
		const now = this.clock.now();
		// Local decisions first, so every request dispatched after this answer sees them.
		const gate = this.gate.onAnswer(kind, reason, sent.credentialProbe);
		if (gate.kind === 'refused') this.runCircuits.set(sent.runId, gate.reason);
		const rateLimited = OVERLOAD_KINDS.has(kind) && !observation.concurrencyLimited;
		if (rateLimited) await this.measureEveryProcess(now);
		this.adapt(observation, sent, now);

		// The shared store may be unreachable: the answer stands (it came from the system), and what
		// the store misses comes back by itself — the lease expires, the next pause is asked again.
		await this.quietly(this.store.release(this.key, sent.leaseId));
		if (observation.headers) await this.quietly(this.learnFromHeaders(observation, now));
		const serverTrouble = kind === 'server_error' || kind === 'transport_error';
		const accepted = kind !== 'transport_error' && !OVERLOAD_KINDS.has(kind);
		const troubles = await this.quietly(
			this.store.countAnswer(this.key, serverTrouble, accepted ? sent.leaseId : undefined),
		);
		if (
			serverTrouble &&
			troubles !== undefined &&
			troubles >= this.settings.circuitAfterServerErrors
		) {
			await this.quietly(
				this.store.openCircuit(this.key, {
					state: 'open',
					reason: `${troubles} failures in a row, the last: ${reason}`,
					cause: 'server',
					until: now + this.settings.circuitCooldownMs,
				}),
			);
		} else if (sent.circuitProbe) {
			// An overloaded system is up: its answer closes the circuit, and its pause does the rest.
			await this.quietly(
				this.store.settleProbe(
					this.key,
					kind === 'server_error' || kind === 'transport_error' ? kind : 'answered',
					reason,
					this.settings.circuitCooldownMs,
				),
			);
		}
		await this.quietly(this.saveLearned(now));
		this.kick();
		return gate.kind === 'retry-free' ? 'retry-free' : 'ok';
	}

	/**
	 * A 429 is measured on what the system accepted from every process sharing its limit (the
	 * store's record), not from this one alone: with N workers each accepts about 1/N, and a rate
	 * learned from a share would slow the shared bucket to that share (measured in queue mode: two
	 * workers at 3.9 × the ideal time). Unreachable store: this process's own answers.
	 */
	private async measureEveryProcess(now: number): Promise<void> {
		const offset = this.store.now() - now;
		const times = await this.quietly(this.store.acceptedSince(this.key, now + offset - WINDOW_MS));
		if (times) this.rate.useAccepted(times.map((at) => at - offset));
	}

	/** Rate and concurrency learn from the answer (before a pause clears the rate's measurements). */
	private adapt(
		observation: Observation,
		sent: { sentAt: number; inFlight: number },
		now: number,
	): void {
		const { kind } = observation;
		if (kind === 'transport_error') return;
		if (OVERLOAD_KINDS.has(kind)) {
			if (observation.concurrencyLimited)
				this.concurrency.onConcurrencyOverload(now, sent.inFlight);
			else this.rate.onRateLimited(now, sent.sentAt);
			return;
		}
		this.rate.onAccepted(now, now - this.lastRateWait <= RATE_BOUND_MS);
		this.concurrency.onAnswer(now, now - sent.sentAt, sent.inFlight);
	}

	private async learnFromHeaders(observation: Observation, now: number): Promise<void> {
		const { announcedRatePerSecond, decision } = readPause(
			observation.headers ?? {},
			OVERLOAD_KINDS.has(observation.kind),
			now,
			this.settings.maxRetryAfterMs,
		);
		if (announcedRatePerSecond !== undefined && announcedRatePerSecond !== this.announcedRate) {
			this.announcedRate = announcedRatePerSecond;
			this.rate.adopt(announcedRatePerSecond * ANNOUNCED_MARGIN);
		}
		if (decision.kind === 'quota') {
			await this.store.openCircuit(this.key, {
				state: 'open',
				reason: decision.reason,
				cause: 'quota',
				until: decision.until,
			});
		} else if (decision.kind === 'pause') {
			if (decision.until > this.pausedUntil)
				this.lastPauseReason = pauseReason(
					observation.headers ?? {},
					OVERLOAD_STATUS[observation.kind],
					now,
				);
			this.pausedUntil = Math.max(this.pausedUntil, decision.until);
			// Resume paced, not with a burst saved up during the pause: the system's own bucket
			// refilled too, and a burst would spend it before the rate can be measured.
			await this.store.pause(this.key, decision.until, this.admitRequest(1));
			this.rate.onPaused(now, this.pausedUntil);
		} else if (decision.kind === 'remaining') {
			await this.store.capTokens(this.key, decision.remaining, this.admitRequest(1));
		}
	}

	private async saveLearned(now: number): Promise<void> {
		await this.store.saveLearned(this.key, {
			ratePerSecond: this.rate.value,
			...(this.rate.learnedCeiling !== undefined
				? { ceiling: this.rate.learnedCeiling, ceilingMeasured: this.rate.ceilingMeasured }
				: {}),
			...(this.announcedRate !== undefined ? { announced: this.announcedRate } : {}),
			...(this.rate.learnedBurst > 0 ? { burst: this.rate.learnedBurst } : {}),
			concurrency: this.concurrency.value,
			...(this.concurrency.learnedCeiling !== undefined
				? { concurrencyCeiling: this.concurrency.learnedCeiling }
				: {}),
			at: now,
		});
	}

	private refuseCircuitedRuns(): void {
		for (const [runId, reason] of this.runCircuits)
			for (const waiter of this.queue.takeWaiting(runId)) waiter.resolve({ refused: reason });
	}
}

/** Limiters by system + credential, for the life of the process (or of a test), over one store. */
export class LimiterRegistry {
	private readonly limiters = new Map<string, SystemLimiter>();
	readonly store: LimitStore;

	/** Over `store` (default: a `MemoryLimitStore` of this process on `clock`). */
	constructor(
		private readonly clock: Clock,
		store?: LimitStore,
	) {
		this.store = store ?? new MemoryLimitStore(clock);
	}

	/** Forgets every limiter and what they learned (tests start from a fresh process state). */
	clear(): void {
		this.limiters.clear();
		if (this.store instanceof MemoryLimitStore) this.store.clear();
	}

	/** Forgets the limiters but keeps the store: a new process state over what the store remembers. */
	forgetLimiters(): void {
		this.limiters.clear();
	}

	async get(key: string, settings: LimitSettings, refreshable: boolean): Promise<SystemLimiter> {
		let limiter = this.limiters.get(key);
		if (limiter) {
			limiter.configure(settings);
			return limiter;
		}
		// An unreachable shared store: start from the settings (the pump waits for the store anyway).
		const learned = await this.store.learned(key).catch(() => undefined);
		// Another caller may have made it while we read the store.
		limiter = this.limiters.get(key);
		if (limiter) return limiter;
		limiter = new SystemLimiter(key, settings, refreshable, this.clock, this.store, learned);
		this.limiters.set(key, limiter);
		return limiter;
	}
}

/** The limiters of this n8n process: every execution of every node shares them. */
export const processLimiters = new LimiterRegistry(realClock);
