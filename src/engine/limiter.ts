/**
 * One limiter per system + credential, living for the process and shared by every run: it decides
 * when the next request to that system may go, and from which run.
 *
 * - Concurrency: at most `maxConcurrency` requests in flight.
 * - Rate: a token bucket (`ratePerSecond`, `burst`), tightened to what the system announces
 *   (`RateLimit-Policy` q/w, remaining-in-window).
 * - Fairness: each run has its own queue and runs are served round-robin (deficit-free round robin,
 *   as in Shreedhar & Varghese's DRR with equal, unit-size quanta), so a one-person GDPR run never
 *   waits behind a 10,000-row nightly run.
 * - Pauses: a `Retry-After` (or remaining = 0 with a reset) pauses the whole system; one longer than
 *   `maxRetryAfterMs` is a quota: the circuit opens until then and waiting pairs fail fast.
 * - Adaptation without headers: AIMD with a learned ceiling (`adaptiveRate.ts`).
 * - Circuit breaker: `circuitAfterServerErrors` consecutive 5xx open it for every run; after
 *   `cooldown` one probe request decides. A permission 403, a refused login, or a 401 that
 *   survives two credential refreshes in a row opens it for the run that met it (the next run,
 *   with a fixed credential, tries again).
 * - Credential probe: a system's first request (and the first of a run after a credential circuit)
 *   goes alone; the rest follow once an answer shows the credential is accepted. A wrong token or
 *   scope so costs one request, not one per concurrent slot.
 * - JWT refresh gate (DESIGN §3): n8n refreshes an expirable credential per request, with no
 *   single-flight. So on a 401 a refreshable system stops dispatching, waits for in-flight
 *   requests, and lets exactly one through that may refresh (the same single probe).
 *
 * Concurrency is counted here rather than with p-limit: fairness needs the scheduler to choose which
 * run's request goes next and the gate needs "nothing in flight", and p-limit's FIFO queue offers
 * neither.
 */
import type { VerdictKind } from '../systems/types';
import { AdaptiveRate } from './adaptiveRate';
import { abortError, type Clock, realClock } from './clock';
import { pauseFrom, readRateLimit } from './rateLimitHeaders';

export interface LimitSettings {
	maxConcurrency: number;
	ratePerSecond: number;
	burst: number;
	/** A pause longer than this (a daily quota) fails the system's pairs fast instead of waiting. */
	maxRetryAfterMs: number;
	/** Consecutive 5xx / transport failures that open the circuit. */
	circuitAfterServerErrors: number;
	/** How long an open circuit waits before one probe request (not for quota circuits: they wait until T). */
	circuitCooldownMs: number;
}

export const DEFAULT_LIMITS: LimitSettings = {
	maxConcurrency: 4,
	ratePerSecond: 5,
	burst: 1,
	maxRetryAfterMs: 120_000,
	circuitAfterServerErrors: 10,
	circuitCooldownMs: 60_000,
};

/** What one request's answer told the limiter. */
export interface Observation {
	kind: VerdictKind | 'transport_error';
	headers?: Readonly<Record<string, string>>;
	/** The verdict's reason: becomes the circuit's reason if this answer opens it. */
	reason: string;
}

/** `retry-free`: a 401 while the refresh gate is closing; ask again without using an attempt. */
export type ReleaseAdvice = 'ok' | 'retry-free';

export interface Permit {
	/** This request may make the credential refresh (it is the gate's single probe). */
	readonly allowRefresh: boolean;
	release(observation: Observation): ReleaseAdvice;
}

export interface Refusal {
	refused: string;
}

interface Waiter {
	runId: string;
	resolve(value: Permit | Refusal): void;
	reject(error: Error): void;
	cleanup(): void;
}

type Circuit =
	| { state: 'closed' }
	| { state: 'open'; reason: string; until: number; cause: 'server' | 'quota' }
	| { state: 'half-open'; reason: string; cause: 'server' | 'quota'; probing: boolean };

type Gate = 'open' | 'probe-needed' | 'probing';

/** Answers that say nothing about whether the credential was accepted. */
const INCONCLUSIVE_FOR_AUTH: ReadonlySet<Observation['kind']> = new Set<Observation['kind']>([
	'transport_error',
	'server_error',
	'rate_limited',
	'request_timeout',
	'malformed_success',
]);

/** Share of an announced rate to pace at. */
const ANNOUNCED_MARGIN = 0.95;
/** A 401 that survives this many refreshes in a row means the credential itself is refused. */
const REFRESHES_BEFORE_CIRCUIT = 2;

/** Never pace below this: one request every 10 s still finishes a small batch. */
const MIN_RATE = 0.1;

export class SystemLimiter {
	private settings: LimitSettings;
	private readonly queues = new Map<string, Waiter[]>();
	/**
	 * Credential circuits (a 401 that survives refresh, a permission 403) belong to the run that
	 * met them: the user fixes the credential or the scope and runs again, and that run must not
	 * inherit a stale refusal. System circuits (5xx, quota) are process-wide: the system is down.
	 */
	private readonly runCircuits = new Map<string, string>();
	private order: string[] = [];
	private nextRun = 0;
	private inFlight = 0;
	private tokens: number;
	private lastRefill: number;
	private readonly adaptive: AdaptiveRate;
	private announcedRate: number | undefined;
	private pausedUntil = 0;
	private consecutiveServerErrors = 0;
	private circuit: Circuit = { state: 'closed' };
	private gate: Gate;
	/** Refresh probes answered 401 since the credential last worked. */
	private refreshesRejected = 0;
	private pumping = false;
	private wakeUp: AbortController | undefined;

	constructor(
		readonly key: string,
		settings: LimitSettings,
		private readonly refreshable: boolean,
		private readonly clock: Clock,
	) {
		this.settings = { ...settings };
		this.tokens = settings.burst;
		this.lastRefill = clock.now();
		this.adaptive = new AdaptiveRate(settings.ratePerSecond, clock.now(), MIN_RATE);
		this.gate = 'probe-needed';
	}

	/** A later run's settings win (the user edited them); learned limits are kept. */
	configure(settings: LimitSettings): void {
		this.settings = { ...settings };
		this.adaptive.setConfigured(settings.ratePerSecond);
		this.tokens = Math.min(this.tokens, settings.burst);
		this.kick();
	}

	/** The rate requests are paced at now (configured, announced and adapted). */
	get effectiveRate(): number {
		// Pace a little under an announced rate: requests bunch on the way, and the system counts arrivals.
		const announced =
			this.announcedRate === undefined ? Infinity : this.announcedRate * ANNOUNCED_MARGIN;
		const ceiling = Math.min(this.settings.ratePerSecond, announced);
		return Math.max(MIN_RATE, Math.min(this.adaptive.value, ceiling));
	}

	get pausedUntilMs(): number {
		return this.pausedUntil;
	}

	/** Waits for this run's turn; resolves with a permit, or a refusal when the circuit is open. */
	acquire(runId: string, signal?: AbortSignal): Promise<Permit | Refusal> {
		if (signal?.aborted) return Promise.reject(abortError(signal));
		const refusal = this.refusal(runId);
		if (refusal) return Promise.resolve(refusal);
		return new Promise<Permit | Refusal>((resolve, reject) => {
			const onAbort = (): void => {
				this.remove(waiter);
				reject(abortError(signal));
			};
			const waiter: Waiter = {
				runId,
				resolve,
				reject,
				cleanup: () => signal?.removeEventListener('abort', onAbort),
			};
			signal?.addEventListener('abort', onAbort, { once: true });
			let queue = this.queues.get(runId);
			if (!queue) {
				queue = [];
				this.queues.set(runId, queue);
				this.order.push(runId);
			}
			queue.push(waiter);
			this.kick();
		});
	}

	/** Forgets a run's queue (at its end, or when it is cancelled: only its own waiters go). */
	dropRun(runId: string, error?: Error): void {
		this.runCircuits.delete(runId);
		const queue = this.queues.get(runId);
		if (!queue) return;
		this.queues.delete(runId);
		this.order = this.order.filter((id) => id !== runId);
		for (const waiter of queue) {
			waiter.cleanup();
			waiter.reject(error ?? abortError());
		}
	}

	private remove(waiter: Waiter): void {
		const queue = this.queues.get(waiter.runId);
		const index = queue?.indexOf(waiter) ?? -1;
		if (queue && index >= 0) queue.splice(index, 1);
		waiter.cleanup();
	}

	private refusal(runId?: string): Refusal | undefined {
		const runCircuit = runId === undefined ? undefined : this.runCircuits.get(runId);
		if (runCircuit !== undefined) return { refused: runCircuit };
		const circuit = this.circuit;
		if (circuit.state === 'open') {
			if (this.clock.now() < circuit.until) return { refused: circuit.reason };
			this.circuit = {
				state: 'half-open',
				reason: circuit.reason,
				cause: circuit.cause,
				probing: false,
			};
		}
		return undefined;
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
				if (!this.hasWaiters()) return;
				const refusal = this.refusal();
				if (refusal) {
					this.refuseAll(refusal);
					return;
				}
				this.refuseCircuitedRuns();
				if (!this.hasWaiters()) return;
				if (this.inFlight >= this.dispatchLimit()) return; // a release kicks us again
				const wait = this.msUntilAllowed();
				if (wait > 0) {
					await this.sleepInterruptibly(wait);
					continue;
				}
				this.dispatch();
			}
		} finally {
			this.pumping = false;
		}
	}

	private hasWaiters(): boolean {
		for (const queue of this.queues.values()) if (queue.length > 0) return true;
		return false;
	}

	/** How many may be in flight now: one probe at a time while the gate or a half-open circuit decides. */
	private dispatchLimit(): number {
		const probing = this.gate !== 'open' || this.circuit.state === 'half-open';
		if (!probing) return this.settings.maxConcurrency;
		const probeOut =
			this.gate === 'probing' || (this.circuit.state === 'half-open' && this.circuit.probing);
		return probeOut ? 0 : 1;
	}

	private msUntilAllowed(): number {
		const now = this.clock.now();
		if (this.pausedUntil > now) return this.pausedUntil - now;
		this.refill(now);
		// Float refills land a hair under 1 (0.1 × 10 = 0.9999…): within a microtoken counts as whole.
		if (this.tokens >= 1 - 1e-6) return 0;
		return Math.max(1, Math.ceil(((1 - this.tokens) / this.effectiveRate) * 1000 - 1e-6));
	}

	private refill(now: number): void {
		const elapsed = Math.max(0, now - this.lastRefill) / 1000;
		this.tokens = Math.min(this.settings.burst, this.tokens + elapsed * this.effectiveRate);
		this.lastRefill = now;
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

	private nextWaiter(): Waiter | undefined {
		for (let i = 0; i < this.order.length; i++) {
			const index = (this.nextRun + i) % this.order.length;
			const queue = this.queues.get(this.order[index]);
			const waiter = queue?.shift();
			if (waiter) {
				this.nextRun = (index + 1) % this.order.length;
				return waiter;
			}
		}
		return undefined;
	}

	private dispatch(): void {
		const waiter = this.nextWaiter();
		if (!waiter) return;
		waiter.cleanup();
		this.tokens -= 1;
		this.inFlight++;
		const credentialProbe = this.gate === 'probe-needed';
		if (credentialProbe) this.gate = 'probing';
		const allowRefresh = credentialProbe && this.refreshable;
		const circuitProbe = this.circuit.state === 'half-open';
		if (this.circuit.state === 'half-open') this.circuit.probing = true;
		let released = false;
		const sentAt = this.clock.now();
		waiter.resolve({
			allowRefresh,
			release: (observation) => {
				if (released) return 'ok';
				released = true;
				return this.release(observation, waiter.runId, sentAt, credentialProbe, circuitProbe);
			},
		});
	}

	private release(
		observation: Observation,
		runId: string,
		sentAt: number,
		wasCredentialProbe: boolean,
		wasCircuitProbe: boolean,
	): ReleaseAdvice {
		const wasRefreshProbe = wasCredentialProbe && this.refreshable;
		this.inFlight--;
		const now = this.clock.now();
		let advice: ReleaseAdvice = 'ok';
		const { kind, reason } = observation;

		// Adapt before learning: a Retry-After pause forgets the accepted answers, and this 429 must
		// be measured against them first.
		if (kind === 'rate_limited') this.adaptive.onRateLimited(now, sentAt);
		else if (kind !== 'transport_error') this.adaptive.onAccepted(now);
		if (observation.headers) this.learn(observation, now);

		const serverTrouble = kind === 'server_error' || kind === 'transport_error';
		this.consecutiveServerErrors = serverTrouble ? this.consecutiveServerErrors + 1 : 0;

		if (kind === 'unauthorized' && this.refreshable && !wasRefreshProbe) {
			if (this.gate === 'open') this.gate = 'probe-needed';
			advice = 'retry-free';
		} else if (
			kind === 'unauthorized' &&
			wasRefreshProbe &&
			this.refreshesRejected < REFRESHES_BEFORE_CIRCUIT - 1
		) {
			// A token can die between its login and the retry carrying it (a whole-second `exp`, a
			// clock a little ahead): one more refresh before calling the credential wrong.
			this.refreshesRejected++;
			this.gate = 'probe-needed';
			advice = 'retry-free';
		} else if (kind === 'unauthorized') {
			this.openForRun(
				runId,
				wasRefreshProbe ? `${reason} (also after refreshing the credential)` : reason,
			);
		} else if (kind === 'forbidden' || kind === 'login_refused') {
			this.openForRun(runId, reason);
		} else if (
			serverTrouble &&
			this.consecutiveServerErrors >= this.settings.circuitAfterServerErrors
		) {
			this.open(
				`${this.consecutiveServerErrors} failures in a row, the last: ${reason}`,
				'server',
				now,
			);
		} else if (wasCircuitProbe && this.circuit.state === 'half-open') {
			if (serverTrouble && this.circuit.cause === 'server') this.open(reason, 'server', now);
			else if (kind !== 'transport_error') this.circuit = { state: 'closed' };
			else this.circuit.probing = false;
		}

		if (wasCredentialProbe && this.gate === 'probing') {
			// Only an answer the system gave after checking the token proves it works; a 5xx, 429 or
			// lost answer may come from in front of the auth check, so the next request probes again.
			this.gate = INCONCLUSIVE_FOR_AUTH.has(kind) ? 'probe-needed' : 'open';
			if (this.gate === 'open') this.refreshesRejected = 0;
		}
		this.kick();
		return advice;
	}

	private learn(observation: Observation, now: number): void {
		const signal = readRateLimit(observation.headers ?? {}, now);
		if (signal.announcedRatePerSecond !== undefined)
			this.announcedRate = signal.announcedRatePerSecond;
		const pause =
			observation.kind === 'rate_limited' || signal.remaining === 0 ? pauseFrom(signal) : undefined;
		// "0 left, resets in 0 s" is no pause: pacing (below) waits for the next token instead.
		if (pause !== undefined && pause > 0) {
			if (pause > this.settings.maxRetryAfterMs) {
				this.open(
					`rate-limited until ${new Date(now + pause).toISOString()}`,
					'quota',
					now,
					now + pause,
				);
			} else {
				this.pausedUntil = Math.max(this.pausedUntil, now + pause);
				// Resume paced, not with a burst saved up during the pause: the system's own bucket
				// refilled too, and a burst would spend it before the rate can be measured.
				this.refill(now);
				this.tokens = Math.min(this.tokens, 1);
				this.lastRefill = this.pausedUntil;
				this.adaptive.onPaused(this.pausedUntil);
			}
		} else if (signal.remaining !== undefined) {
			// The system allows `remaining` more in this window: never hold more tokens than that.
			this.refill(now);
			this.tokens = Math.min(this.tokens, signal.remaining);
		}
	}

	private open(reason: string, cause: 'server' | 'quota', now: number, until?: number): void {
		this.circuit = {
			state: 'open',
			reason,
			cause,
			until: until ?? now + this.settings.circuitCooldownMs,
		};
		this.consecutiveServerErrors = 0;
	}

	private openForRun(runId: string, reason: string): void {
		this.runCircuits.set(runId, reason);
		// The next run's first request probes the credential again (and may refresh it).
		this.gate = 'probe-needed';
		this.refreshesRejected = 0;
	}

	private refuseCircuitedRuns(): void {
		for (const [runId, reason] of this.runCircuits) {
			for (const waiter of this.queues.get(runId)?.splice(0) ?? []) {
				waiter.cleanup();
				waiter.resolve({ refused: reason });
			}
		}
	}

	private refuseAll(refusal: Refusal): void {
		for (const queue of this.queues.values()) {
			for (const waiter of queue.splice(0)) {
				waiter.cleanup();
				waiter.resolve(refusal);
			}
		}
	}
}

/** Limiters by system + credential, for the life of the process (or of a test). */
export class LimiterRegistry {
	private readonly limiters = new Map<string, SystemLimiter>();

	constructor(private readonly clock: Clock) {}

	/** Forgets every limiter (tests start from a fresh process state). */
	clear(): void {
		this.limiters.clear();
	}

	get(key: string, settings: LimitSettings, refreshable: boolean): SystemLimiter {
		let limiter = this.limiters.get(key);
		if (limiter) limiter.configure(settings);
		else {
			limiter = new SystemLimiter(key, settings, refreshable, this.clock);
			this.limiters.set(key, limiter);
		}
		return limiter;
	}
}

/** The limiters of this n8n process: every execution of every node shares them. */
export const processLimiters = new LimiterRegistry(realClock);
