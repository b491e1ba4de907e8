/**
 * The state a system's limits share — tokens, leases (requests in flight), pause-until, the circuit,
 * consecutive server errors and what the limiter learned — read and written through one interface
 * whose every method is one atomic step (no read-modify-write across awaits), so that a Redis
 * implementation can run each as one Lua script with the server's clock, and several n8n processes
 * can share one limit. The fair queue, the credential gate and the adaptation's arithmetic are per
 * process; the adapted rate itself and whose turn it is live here (`SharedRate`, `TurnRequest`).
 */
import type { Clock } from '../clock';
import { afterProbe, type Circuit, circuitAt, CLOSED } from './circuit';
import { acquireLease, heldLeases, type LeaseState, releaseLease } from './leases';
import { type BucketState, capTokens, pacedFrom, refill, takeToken } from './tokenBucket';

export interface AdmitRequest {
	ratePerSecond: number;
	burst: number;
	/** Leases (requests in flight) allowed at once. */
	concurrency: number;
	/** A lease not released by then is free again (its holder died). */
	leaseMs: number;
	/**
	 * The rate this process's limiter would pace at, proposed for the system's shared rate (absent:
	 * the bucket refills at `ratePerSecond` and the shared rate is left alone).
	 */
	proposal?: RateProposal;
	/** Whose turn it is across processes (absent: whoever asks first takes the token). */
	turn?: TurnRequest;
}

/**
 * Fairness across workers: each limiter serves its own runs in turn (`fairQueue.ts`) and says, with
 * each admission, since when the run it would serve next has waited (last served, or came). A
 * token goes to the sender whose run waited longest among those that asked within `staleMs`; the
 * others are told to wait `TURN_YIELD_MS` — the token stays in the bucket for the older one. So a
 * one-person erasure on one worker waits its turn among every worker's runs (round-robin across
 * the cluster), not a race in which each worker's batch holds its share. A sender that stops
 * asking (its run ended, it died) is forgotten after `staleMs`; one that was granted is forgotten
 * at once (it says its next run's turn when it asks again).
 */
export interface TurnRequest {
	sender: string;
	/** Since when the run the sender serves next has waited (store clock). */
	since: number;
	/** A sender that has not asked for this long is no longer waiting (ms). */
	staleMs: number;
}

/** How long a sender that is not the longest-waiting one waits before it asks again (ms). */
export const TURN_YIELD_MS = 10;

interface Turn {
	since: number;
	seenAt: number;
}

/**
 * The rate of a system, one value however many workers send to it, kept in the store beside the
 * bucket it refills. Each worker's limiter adapts a copy (`adaptiveRate.ts`) and proposes it with
 * every admission; the store keeps one (`settleRate`) and every admission answers with it, so the
 * copies follow the one in the store. Without it, each worker's rate fed the bucket in turn: a
 * worker that met no 429 (the other's requests got them) kept climbing, one that had measured its
 * share kept it, and in real queue mode two workers took 3.9 × the ideal time (one took 1.4 ×).
 */
export interface SharedRate {
	/** What the bucket refills at. */
	ratePerSecond: number;
	/** The adaptation's state (`AdaptiveRate.snapshot`, JSON, store clock): opaque to the store. */
	state: string;
	/** When a 429 last lowered it (store clock; absent: never). */
	lastDecrease?: number;
	/** When it was last changed (store clock), by which sender, and how many changes so far. */
	at: number;
	sender: string;
	version: number;
}

export interface RateProposal {
	ratePerSecond: number;
	state: string;
	lastDecrease?: number;
	/** Who proposes (one limiter of one process). */
	sender: string;
	/** The version of the shared rate the proposal was made from (absent: none seen yet). */
	basedOn?: number;
}

/**
 * The shared rate once `proposal` arrives at `now` (optimistic concurrency, as HTTP's `If-Match`,
 * RFC 9110 §13.1.1):
 * a proposal made from the current version replaces it; one made from an older version is refused
 * — its holder adopts the current one and adapts from there, so two workers' growth never adds up —
 * unless it carries a decrease the store has not seen (a 429 event is news, whatever the version).
 * Transcribed in the Redis admit script.
 */
export function settleRate(
	stored: SharedRate | undefined,
	proposal: RateProposal,
	now: number,
): SharedRate {
	const next = (version: number): SharedRate => ({
		ratePerSecond: proposal.ratePerSecond,
		state: proposal.state,
		...(proposal.lastDecrease === undefined ? {} : { lastDecrease: proposal.lastDecrease }),
		at: now,
		sender: proposal.sender,
		version,
	});
	if (stored === undefined) return next(1);
	if (proposal.basedOn === stored.version) {
		const same =
			proposal.ratePerSecond === stored.ratePerSecond &&
			proposal.state === stored.state &&
			proposal.lastDecrease === stored.lastDecrease;
		return same ? stored : next(stored.version + 1);
	}
	const newDecrease =
		proposal.lastDecrease !== undefined &&
		proposal.lastDecrease > (stored.lastDecrease ?? -Infinity) &&
		proposal.ratePerSecond < stored.ratePerSecond;
	return newDecrease ? next(stored.version + 1) : stored;
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

/** What `admit` answers: the admission, and the shared rate when the request proposed one. */
export type AdmitAnswer = Admission & { rate?: SharedRate };

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
	admit(key: string, request: AdmitRequest): Promise<AdmitAnswer>;
	release(key: string, leaseId: string): Promise<void>;
	/** Pauses every request to the system until `until` (the later of this and any pause in force); resumes paced. */
	pause(key: string, until: number, request: AdmitRequest): Promise<void>;
	/** The system allows only `remaining` more requests in its current window. */
	capTokens(key: string, remaining: number, request: AdmitRequest): Promise<void>;
	/**
	 * Counts an answer: consecutive server troubles so far (0 after any other answer). `acceptedId`
	 * (unique across workers): the system accepted it (not an overload, not a lost answer), so it is
	 * recorded for `acceptedSince` under that id.
	 */
	countAnswer(key: string, serverTrouble: boolean, acceptedId?: string): Promise<number>;
	/**
	 * When the system accepted the answers recorded since `since` (store clock, oldest first), by
	 * every process sharing the store: what a 429 measures the system's rate on. Kept for
	 * `ACCEPTED_KEPT_MS`.
	 */
	acceptedSince(key: string, since: number): Promise<number[]>;
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

/**
 * How long accepted answers are kept for `acceptedSince`: the adaptive rate's measuring window
 * (`adaptiveRate.ts` WINDOW_MS) with room for the round trip.
 */
export const ACCEPTED_KEPT_MS = 2_500;

interface SystemState {
	bucket: BucketState;
	/** When accepted answers came (ms), oldest first, the last `ACCEPTED_KEPT_MS` of them. */
	accepted: number[];
	/** The system's shared rate (`settleRate`), once a limiter proposed one. */
	rate?: SharedRate;
	/** Senders waiting for a token, and since when their next run has waited (`TurnRequest`). */
	turns: Map<string, Turn>;
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
				accepted: [],
				turns: new Map(),
			};
			this.systems.set(key, state);
		}
		return state;
	}

	async admit(key: string, request: AdmitRequest): Promise<AdmitAnswer> {
		const now = this.now();
		const state = this.state(key, request.burst);
		const rate = this.rateOf(state, request, now);
		const answer = (admission: Admission): AdmitAnswer =>
			request.proposal && state.rate ? { ...admission, rate: { ...state.rate } } : admission;
		const { turn } = request;
		if (turn) state.turns.set(turn.sender, { since: turn.since, seenAt: now });
		state.circuit = circuitAt(state.circuit, now);
		const circuit = state.circuit;
		if (circuit.state === 'open') return answer({ kind: 'refused', reason: circuit.reason });
		if (state.pausedUntil > now)
			return answer({ kind: 'wait', ms: state.pausedUntil - now, paused: true });
		const probe = circuit.state === 'half-open';
		if (probe && circuit.probing) return answer({ kind: 'full' });
		const limit = probe ? 1 : request.concurrency;
		if (heldLeases(state.leases, now) >= limit) return answer({ kind: 'full' });
		const token = takeToken(state.bucket, now, rate, request.burst);
		if (token.waitMs > 0) {
			state.bucket = token.state;
			return answer({ kind: 'wait', ms: token.waitMs, paused: false });
		}
		if (turn && this.someoneWaitedLonger(state.turns, turn, now)) {
			// The token stays for the sender whose run waited longer (only the refill is kept).
			state.bucket = refill(state.bucket, now, rate, request.burst);
			return answer({ kind: 'wait', ms: TURN_YIELD_MS, paused: false });
		}
		state.bucket = token.state;
		if (turn) state.turns.delete(turn.sender);
		const leaseId = `lease-${++this.leaseCounter}`;
		acquireLease(state.leases, now, limit, leaseId, request.leaseMs);
		if (probe) state.circuit = { ...circuit, probing: true };
		return answer({ kind: 'granted', leaseId, circuitProbe: probe, inFlight: state.leases.size });
	}

	async release(key: string, leaseId: string): Promise<void> {
		releaseLease(this.state(key).leases, leaseId);
	}

	async pause(key: string, until: number, request: AdmitRequest): Promise<void> {
		const state = this.state(key, request.burst);
		if (until <= state.pausedUntil) return;
		state.pausedUntil = until;
		const now = this.now();
		const rate = this.rateOf(state, request, now);
		state.bucket = pacedFrom(state.bucket, now, rate, request.burst, until);
	}

	async capTokens(key: string, remaining: number, request: AdmitRequest): Promise<void> {
		const state = this.state(key, request.burst);
		const now = this.now();
		const rate = this.rateOf(state, request, now);
		state.bucket = capTokens(state.bucket, now, rate, request.burst, remaining);
	}

	/** Whether another sender asked lately for a run that has waited longer (forgets the stale). */
	private someoneWaitedLonger(turns: Map<string, Turn>, turn: TurnRequest, now: number): boolean {
		let longer = false;
		for (const [sender, other] of turns) {
			if (now - other.seenAt > turn.staleMs) turns.delete(sender);
			else if (sender !== turn.sender && other.since < turn.since) longer = true;
		}
		return longer;
	}

	/** The rate the bucket refills at: the shared rate once `request`'s proposal is settled. */
	private rateOf(state: SystemState, request: AdmitRequest, now: number): number {
		if (!request.proposal) return request.ratePerSecond;
		state.rate = settleRate(state.rate, request.proposal, now);
		return state.rate.ratePerSecond;
	}

	async countAnswer(key: string, serverTrouble: boolean, acceptedId?: string): Promise<number> {
		const state = this.state(key);
		state.serverTroubles = serverTrouble ? state.serverTroubles + 1 : 0;
		if (acceptedId !== undefined) {
			const now = this.now();
			state.accepted.push(now);
			dropBefore(state.accepted, now - ACCEPTED_KEPT_MS);
		}
		return state.serverTroubles;
	}

	async acceptedSince(key: string, since: number): Promise<number[]> {
		const accepted = this.systems.get(key)?.accepted ?? [];
		dropBefore(accepted, this.now() - ACCEPTED_KEPT_MS);
		return accepted.filter((at) => at >= since);
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

/** Drops the times before `time` from the front of a list in time order (in place). */
export function dropBefore(times: number[], time: number): void {
	let drop = 0;
	while (drop < times.length && times[drop] < time) drop++;
	if (drop > 0) times.splice(0, drop);
}

/** Live claims one process keeps at most (a signed webhook's replay memory: 10 minutes of requests). */
export const MAX_CLAIMS = 100_000;
