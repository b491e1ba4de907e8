/**
 * The state a system's limits share — tokens, leases (requests in flight), pause-until, the circuit,
 * consecutive server errors and what the limiter learned — read and written through one interface
 * whose every method is one atomic step (no read-modify-write across awaits), so that a Redis
 * implementation can run each as one Lua script with the server's clock, and several n8n processes
 * can share one limit. The fair queue, the credential gate and the adaptation are per process.
 */
import type { Clock } from '../clock';
import { afterProbe, type Circuit, circuitAt, CLOSED } from './circuit';
import { acquireLease, heldLeases, type LeaseState, releaseLease } from './leases';
import { type BucketState, capTokens, pacedFrom, takeToken } from './tokenBucket';

export interface AdmitRequest {
	ratePerSecond: number;
	burst: number;
	/** Leases (requests in flight) allowed at once. */
	concurrency: number;
	/** A lease not released by then is free again (its holder died). */
	leaseMs: number;
}

export type Admission =
	/** Send now: a token and a lease are taken. `inFlight` counts this request. */
	| { kind: 'granted'; leaseId: string; circuitProbe: boolean; inFlight: number }
	/** Paused or out of tokens: ask again in `ms` (`paused`: by a Retry-After). */
	| { kind: 'wait'; ms: number; paused: boolean }
	/** Every lease is held (or a circuit probe is out): ask again after a release. */
	| { kind: 'full' }
	/** The circuit is open. */
	| { kind: 'refused'; reason: string };

/** What a system taught its limiter, kept for the next run (DESIGN §4 "Discovered, not configured"). */
export interface LearnedLimits {
	ratePerSecond: number;
	/** The rate the system accepted when it last pushed back, and whether that was measured. */
	ceiling?: number;
	ceilingMeasured?: boolean;
	/** The announced sustained rate, if the system announces one. */
	announced?: number;
	concurrency: number;
	/** Requests in flight above which the system answered "too many concurrent requests". */
	concurrencyCeiling?: number;
	/** Requests accepted at once before the first 429. */
	burst?: number;
	/** When this was last written (ms). */
	at: number;
}

export type BudgetAnswer =
	| { taken: true; used: number }
	| { taken: false; used: number; freesAt: number };

export interface LimitStore {
	now(): number;
	/** Checks the circuit, the pause, a lease and a token, in that order; takes the last two together. */
	admit(key: string, request: AdmitRequest): Promise<Admission>;
	release(key: string, leaseId: string): Promise<void>;
	/** Pauses every request to the system until `until` (the later of this and any pause in force); resumes paced. */
	pause(key: string, until: number, request: AdmitRequest): Promise<void>;
	/** The system allows only `remaining` more requests in its current window. */
	capTokens(key: string, remaining: number, request: AdmitRequest): Promise<void>;
	/** Counts an answer: consecutive server troubles so far (0 after any other answer). */
	countAnswer(key: string, serverTrouble: boolean): Promise<number>;
	openCircuit(key: string, circuit: Extract<Circuit, { state: 'open' }>): Promise<void>;
	/** The answer to the half-open circuit's probe. */
	settleProbe(
		key: string,
		answer: 'server_error' | 'transport_error' | 'answered',
		reason: string,
		cooldownMs: number,
	): Promise<void>;
	learned(key: string): Promise<LearnedLimits | undefined>;
	saveLearned(key: string, learned: LearnedLimits): Promise<void>;
	/** Remembers until `until` that a scope exists (a removal in it succeeded): scope evidence. */
	confirmScope(key: string, until: number): Promise<void>;
	/** Is there scope evidence for `key` that has not expired? */
	scopeConfirmed(key: string): Promise<boolean>;
	/**
	 * A sliding-window budget (the AI tool's removals per hour): takes `count` units of `key` if the
	 * units taken in the last `windowMs` leave room under `limit`, else takes none and says how many
	 * are used and when the oldest frees up. One atomic step.
	 */
	takeBudget(key: string, count: number, limit: number, windowMs: number): Promise<BudgetAnswer>;
	/**
	 * Claims `key` for `ttlMs`: true the first time, false while the claim lasts (a replayed webhook
	 * signature). One atomic step — in Redis, `SET key 1 NX PX ttlMs`. Keys must not reveal a secret.
	 */
	claimOnce(key: string, ttlMs: number): Promise<boolean>;
}

interface SystemState {
	bucket: BucketState;
	leases: LeaseState;
	pausedUntil: number;
	circuit: Circuit;
	serverTroubles: number;
	learned?: LearnedLimits;
}

/** The store of one n8n process (regular mode), on an injected clock. */
export class MemoryLimitStore implements LimitStore {
	private readonly systems = new Map<string, SystemState>();
	/** Scope evidence: key → until (ms). One entry per system, credential and scope. */
	private readonly scopes = new Map<string, number>();
	/** Budgets: key → the times units were taken (ms), oldest first. */
	private readonly budgets = new Map<string, number[]>();
	private leaseCounter = 0;

	constructor(private readonly clock: Clock) {}

	now(): number {
		return this.clock.now();
	}

	/** Forgets every system (tests start from a fresh process state). */
	clear(): void {
		this.systems.clear();
		this.scopes.clear();
		this.budgets.clear();
		this.claims.clear();
	}

	private state(key: string, burst = 1): SystemState {
		let state = this.systems.get(key);
		if (!state) {
			state = {
				bucket: { tokens: burst, at: this.now() },
				leases: new Map(),
				pausedUntil: 0,
				circuit: CLOSED,
				serverTroubles: 0,
			};
			this.systems.set(key, state);
		}
		return state;
	}

	async admit(key: string, request: AdmitRequest): Promise<Admission> {
		const now = this.now();
		const state = this.state(key, request.burst);
		state.circuit = circuitAt(state.circuit, now);
		const circuit = state.circuit;
		if (circuit.state === 'open') return { kind: 'refused', reason: circuit.reason };
		if (state.pausedUntil > now) return { kind: 'wait', ms: state.pausedUntil - now, paused: true };
		const probe = circuit.state === 'half-open';
		if (probe && circuit.probing) return { kind: 'full' };
		const limit = probe ? 1 : request.concurrency;
		if (heldLeases(state.leases, now) >= limit) return { kind: 'full' };
		const token = takeToken(state.bucket, now, request.ratePerSecond, request.burst);
		state.bucket = token.state;
		if (token.waitMs > 0) return { kind: 'wait', ms: token.waitMs, paused: false };
		const leaseId = `lease-${++this.leaseCounter}`;
		acquireLease(state.leases, now, limit, leaseId, request.leaseMs);
		if (probe) state.circuit = { ...circuit, probing: true };
		return { kind: 'granted', leaseId, circuitProbe: probe, inFlight: state.leases.size };
	}

	async release(key: string, leaseId: string): Promise<void> {
		releaseLease(this.state(key).leases, leaseId);
	}

	async pause(key: string, until: number, request: AdmitRequest): Promise<void> {
		const state = this.state(key, request.burst);
		if (until <= state.pausedUntil) return;
		state.pausedUntil = until;
		state.bucket = pacedFrom(state.bucket, this.now(), request.ratePerSecond, request.burst, until);
	}

	async capTokens(key: string, remaining: number, request: AdmitRequest): Promise<void> {
		const state = this.state(key, request.burst);
		state.bucket = capTokens(
			state.bucket,
			this.now(),
			request.ratePerSecond,
			request.burst,
			remaining,
		);
	}

	async countAnswer(key: string, serverTrouble: boolean): Promise<number> {
		const state = this.state(key);
		state.serverTroubles = serverTrouble ? state.serverTroubles + 1 : 0;
		return state.serverTroubles;
	}

	async openCircuit(key: string, circuit: Extract<Circuit, { state: 'open' }>): Promise<void> {
		const state = this.state(key);
		state.circuit = circuit;
		state.serverTroubles = 0;
	}

	async settleProbe(
		key: string,
		answer: 'server_error' | 'transport_error' | 'answered',
		reason: string,
		cooldownMs: number,
	): Promise<void> {
		const state = this.state(key);
		state.circuit = afterProbe(state.circuit, answer, reason, this.now(), cooldownMs);
	}

	async learned(key: string): Promise<LearnedLimits | undefined> {
		const learned = this.systems.get(key)?.learned;
		return learned ? { ...learned } : undefined;
	}

	async saveLearned(key: string, learned: LearnedLimits): Promise<void> {
		this.state(key).learned = { ...learned };
	}

	async confirmScope(key: string, until: number): Promise<void> {
		this.scopes.set(key, Math.max(until, this.scopes.get(key) ?? 0));
	}

	async takeBudget(
		key: string,
		count: number,
		limit: number,
		windowMs: number,
	): Promise<BudgetAnswer> {
		const now = this.now();
		const times = (this.budgets.get(key) ?? []).filter((t) => t > now - windowMs);
		this.budgets.set(key, times);
		if (times.length + count > limit)
			return { taken: false, used: times.length, freesAt: (times[0] ?? now - windowMs) + windowMs };
		for (let i = 0; i < count; i++) times.push(now);
		return { taken: true, used: times.length };
	}

	async scopeConfirmed(key: string): Promise<boolean> {
		const until = this.scopes.get(key);
		if (until === undefined) return false;
		if (until > this.now()) return true;
		this.scopes.delete(key);
		return false;
	}

	/** Claimed keys and when each claim ends (ms), oldest claim first. */
	private readonly claims = new Map<string, number>();

	async claimOnce(key: string, ttlMs: number): Promise<boolean> {
		const now = this.now();
		this.forgetExpiredClaims(now);
		const until = this.claims.get(key);
		if (until !== undefined && until > now) return false;
		// At the cap, a new key is refused rather than a live claim forgotten: forgetting one would let
		// its replay through. Only callers who can make a valid signature get this far.
		if (this.claims.size >= MAX_CLAIMS) return false;
		this.claims.delete(key); // re-inserted last, so the map stays ordered by claim time
		this.claims.set(key, now + ttlMs);
		return true;
	}

	/** Drops expired claims from the front (claims with one ttl expire in order); all of them when full. */
	private forgetExpiredClaims(now: number): void {
		for (const [key, until] of this.claims) {
			if (until > now) break;
			this.claims.delete(key);
		}
		if (this.claims.size < MAX_CLAIMS) return;
		for (const [key, until] of this.claims) if (until <= now) this.claims.delete(key);
	}
}

/** Live claims one process keeps at most (a signed webhook's replay memory: 10 minutes of requests). */
export const MAX_CLAIMS = 100_000;
