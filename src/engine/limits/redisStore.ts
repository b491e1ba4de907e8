/**
 * The `LimitStore` several n8n processes share (queue mode: one main, N workers): the same decisions
 * as `MemoryLimitStore`, method for method, each change one Lua script on the Redis server
 * (`redisScripts.ts`) with Redis `TIME` as the one clock. What came from which anchor (DESIGN §4):
 *
 * - **Stripe's rate limiters** (token bucket + concurrent-requests limiter on Redis): one script per
 *   decision, holding the bucket as tokens + timestamp. Not taken: the client's timestamp as an
 *   argument (workers' clocks disagree; we read `TIME`) and failing open on a Redis error — a
 *   worker that cannot reach Redis must never take the whole budget, so every error rejects.
 * - **GCRA** (`throttled`, brandur's `redis-cell`): considered, not taken. The paced resume after a
 *   pause (one token at `until`, then 1/rate) and "no more than `remaining`" are plain edits of a
 *   bucket (`tokenBucket.ts`), and one transcription of the same bucket keeps the two stores provably
 *   alike under one contract suite. `redis-cell` is a module that stock and managed Redis lack.
 * - **Google Doorman** (leases that expire unless renewed): a request in flight is a lease with its
 *   own expiry, so a killed worker's slots come back without anyone releasing them.
 * - **redis-semaphore** (a ZSET of holders; ZREMRANGEBYSCORE the stale, ZCARD < limit, ZADD, in one
 *   script): the same acquire, but scored by *expiry* (per-lease `leaseMs`) on the server's clock
 *   rather than by acquire time on the client's.
 * - **bottleneck's cluster mode** (Lua over sorted sets, job expirations): taken — leases in a ZSET,
 *   a TTL on every key. Avoided: its eight keys per script (`b_<id>_settings` …) carry no hash tag,
 *   so they span slots on a sharded Cluster, and its scripts are fed the client's `now`; on Redis 7
 *   they fail with `ERR SETTINGS_KEY_NOT_FOUND` (SGrondin/bottleneck#205, #219, open; no release
 *   since 2020). Here a system's keys share one hash tag and every key a script touches is in KEYS.
 *
 * Keys: `<prefix>{<sha256(key), 16 hex>}:state|leases|learned|accepted|turns`, scope evidence and claims under
 * their own tag (`:scope`, `:once`). The key handed in names a system + credential and should hold
 * no secret; it is hashed anyway, so no Redis key or value reveals anything about a credential.
 * Every key has a TTL: state for `idleTtlMs` past the last time it holds (pause, circuit, bucket),
 * leases until the last lease expires, accepted answers for `ACCEPTED_KEPT_MS`, waiting senders
 * for `idleTtlMs` past the last one's ask, learned limits for
 * `learnedTtlMs`, evidence until its end.
 * A system idle longer than `idleTtlMs` starts again as new: a full bucket and no server-error count.
 *
 * Clock: `now()` stays synchronous: the local clock plus the offset to the server's `TIME`, measured
 * on every script's reply as NTP does — server time − the middle of the round trip, off by at most
 * half the round trip, so the sample with the shortest round trip wins (a reply delayed by a busy
 * event loop would skew it), renewed at least every `CLOCK_SAMPLE_MS` to follow drift. Absolute
 * times handed to this store (`pause` until, the circuit's until, scope evidence) must come from
 * `now()`. Call `syncClock()` once before the first use; until then the offset is 0.
 *
 * Needs Redis ≥ 5 (scripts replicate their effects, so `TIME` before a write is allowed; Redis 7
 * is what Debian 12 and n8n's own setups ship). Connection, retries and timeouts are the client's.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import type { Circuit } from './circuit';
import { SCOPE_SCRIPTS, type ScopeScript, SYSTEM_SCRIPTS, type SystemScript } from './redisScripts';
import {
	ACCEPTED_KEPT_MS,
	type Admission,
	type AdmitAnswer,
	type AdmitRequest,
	type BudgetAnswer,
	type LearnedLimits,
	type LimitStore,
	type SharedRate,
	TURN_YIELD_MS,
} from './store';

export interface RedisLimitStoreOptions {
	/** Prefix of every key (n8n itself uses `bull:` and `n8n:`). */
	keyPrefix?: string;
	/** A system's state lives this long past the last time it mentions (ms). */
	idleTtlMs?: number;
	/** What a system taught is kept this long after it was last saved (ms). */
	learnedTtlMs?: number;
	/** The local clock (tests). */
	localNow?: () => number;
}

export const DEFAULT_KEY_PREFIX = 'n8n-offboarding:';
const HOUR_MS = 3_600_000;
const DEFAULTS = { idleTtlMs: HOUR_MS, learnedTtlMs: 30 * 24 * HOUR_MS };
/** The best clock sample is trusted this long; then the next one replaces it whatever its round trip. */
const CLOCK_SAMPLE_MS = 60_000;

type ScriptCall = (...args: Array<string | number>) => Promise<unknown>;
type Reply = Array<string | number>;

/** `<prefix>{<tag>}`: 64 bits of sha256, enough to keep systems apart, nothing to read back. */
export function hashTag(prefix: string, key: string): string {
	return `${prefix}{${createHash('sha256').update(key, 'utf8').digest('hex').slice(0, 16)}}`;
}

export class RedisLimitStore implements LimitStore {
	private readonly keyPrefix: string;
	private readonly idleTtlMs: number;
	private readonly learnedTtlMs: number;
	private readonly localNow: () => number;
	private offsetMs = 0;
	/** The round trip of the sample `offsetMs` came from, and when it was taken (local ms). */
	private sample = { roundTripMs: Infinity, at: -Infinity };
	/** Lease ids unique across workers: this store's random id, then a counter. */
	private readonly leasePrefix = `lease-${randomBytes(6).toString('hex')}-`;
	private leaseCounter = 0;

	constructor(
		private readonly redis: Redis | Cluster,
		options: RedisLimitStoreOptions = {},
	) {
		this.keyPrefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
		this.idleTtlMs = options.idleTtlMs ?? DEFAULTS.idleTtlMs;
		this.learnedTtlMs = options.learnedTtlMs ?? DEFAULTS.learnedTtlMs;
		this.localNow = options.localNow ?? Date.now;
		// defineCommand: EVALSHA, falling back to EVAL once when the server lacks the script.
		for (const [name, lua] of Object.entries(SYSTEM_SCRIPTS))
			redis.defineCommand(name, { numberOfKeys: 5, lua });
		for (const [name, lua] of Object.entries(SCOPE_SCRIPTS))
			redis.defineCommand(name, { numberOfKeys: 1, lua });
	}

	/** The server's time, as well as this process can tell it between two scripts. */
	now(): number {
		return this.localNow() + this.offsetMs;
	}

	/** Measures the offset to the server's clock (do once before the first use): best of three. */
	async syncClock(): Promise<void> {
		for (let i = 0; i < 3; i++) {
			const sentAt = this.localNow();
			const [seconds, micros] = await this.redis.time();
			this.learnOffset(Number(seconds) * 1000 + Math.floor(Number(micros) / 1000), sentAt);
		}
	}

	/** The keys of one system (system + credential): one hash tag, so one Cluster slot. */
	keysOf(key: string): {
		state: string;
		leases: string;
		learned: string;
		accepted: string;
		turns: string;
	} {
		const tag = hashTag(this.keyPrefix, key);
		return {
			state: `${tag}:state`,
			leases: `${tag}:leases`,
			learned: `${tag}:learned`,
			accepted: `${tag}:accepted`,
			turns: `${tag}:turns`,
		};
	}

	async admit(key: string, request: AdmitRequest): Promise<AdmitAnswer> {
		const leaseId = `${this.leasePrefix}${++this.leaseCounter}`;
		const reply = await this.system(
			'offboardingAdmit',
			key,
			request.ratePerSecond,
			request.burst,
			request.concurrency,
			request.leaseMs,
			leaseId,
			...proposalArgs(request),
			...(request.turn
				? [request.turn.sender, request.turn.since, request.turn.staleMs]
				: ['', '', '']),
			TURN_YIELD_MS,
		);
		const rate = sharedRateOf(reply.slice(0, 6));
		const admission = admissionOf(reply.slice(6));
		return rate ? { ...admission, rate } : admission;
	}

	async release(key: string, leaseId: string): Promise<void> {
		await this.system('offboardingRelease', key, leaseId);
	}

	async pause(key: string, until: number, request: AdmitRequest): Promise<void> {
		await this.system(
			'offboardingPause',
			key,
			until,
			request.ratePerSecond,
			request.burst,
			...proposalArgs(request),
		);
	}

	async capTokens(key: string, remaining: number, request: AdmitRequest): Promise<void> {
		await this.system(
			'offboardingCapTokens',
			key,
			remaining,
			request.ratePerSecond,
			request.burst,
			...proposalArgs(request),
		);
	}

	async countAnswer(key: string, serverTrouble: boolean, acceptedId?: string): Promise<number> {
		const [troubles] = await this.system(
			'offboardingCountAnswer',
			key,
			serverTrouble ? '1' : '0',
			acceptedId ?? '',
			ACCEPTED_KEPT_MS,
		);
		return Number(troubles);
	}

	async acceptedSince(key: string, since: number): Promise<number[]> {
		const times = await this.system('offboardingAcceptedSince', key, since, ACCEPTED_KEPT_MS);
		return times.map(Number);
	}

	async openCircuit(key: string, circuit: Extract<Circuit, { state: 'open' }>): Promise<void> {
		await this.system('offboardingOpenCircuit', key, circuit.reason, circuit.until, circuit.cause);
	}

	async settleProbe(
		key: string,
		answer: 'server_error' | 'transport_error' | 'answered',
		reason: string,
		cooldownMs: number,
	): Promise<void> {
		await this.system('offboardingSettleProbe', key, answer, reason, cooldownMs);
	}

	async learned(key: string): Promise<LearnedLimits | undefined> {
		const json = await this.redis.get(this.keysOf(key).learned);
		return json === null ? undefined : parseLearned(json);
	}

	async saveLearned(key: string, learned: LearnedLimits): Promise<void> {
		await this.system('offboardingSaveLearned', key, JSON.stringify(learned), this.learnedTtlMs);
	}

	async confirmScope(key: string, until: number): Promise<void> {
		await this.scope('offboardingConfirmScope', key, until);
	}

	async scopeConfirmed(key: string): Promise<boolean> {
		const [confirmed] = await this.scope('offboardingScopeConfirmed', key);
		return confirmed === '1';
	}

	async takeBudget(
		key: string,
		count: number,
		limit: number,
		windowMs: number,
	): Promise<BudgetAnswer> {
		const [taken, used, freesAt] = await this.run(
			'offboardingTakeBudget',
			[`${hashTag(this.keyPrefix, key)}:budget`],
			[count, limit, windowMs, `${this.leasePrefix}${++this.leaseCounter}`],
		);
		return taken === '1'
			? { taken: true, used: Number(used) }
			: { taken: false, used: Number(used), freesAt: Number(freesAt) };
	}

	/** SET NX PX: the first caller within `ttlMs` wins, on any worker. */
	async claimOnce(key: string, ttlMs: number): Promise<boolean> {
		const px = Math.max(1, Math.ceil(ttlMs));
		const set = await this.redis.set(`${hashTag(this.keyPrefix, key)}:once`, '1', 'PX', px, 'NX');
		return set === 'OK';
	}

	/** Runs a system script; returns its reply after the server time, which sets the clock offset. */
	private async system(name: SystemScript, key: string, ...args: Array<string | number>) {
		const { state, leases, learned, accepted, turns } = this.keysOf(key);
		return this.run(name, [state, leases, learned, accepted, turns], [this.idleTtlMs, ...args]);
	}

	private async scope(name: ScopeScript, key: string, ...args: Array<string | number>) {
		return this.run(name, [`${hashTag(this.keyPrefix, key)}:scope`], args);
	}

	private async run(name: string, keys: string[], args: Array<string | number>): Promise<Reply> {
		const call = (this.redis as unknown as Record<string, ScriptCall>)[name];
		const sentAt = this.localNow();
		const reply = (await call.call(this.redis, ...keys, ...args)) as Reply;
		this.learnOffset(Number(reply[0]), sentAt);
		return reply.slice(1);
	}

	private learnOffset(serverNow: number, sentAt: number): void {
		const receivedAt = this.localNow();
		const roundTripMs = receivedAt - sentAt;
		const stale = receivedAt - this.sample.at >= CLOCK_SAMPLE_MS;
		if (roundTripMs > this.sample.roundTripMs && !stale) return;
		this.sample = { roundTripMs, at: receivedAt };
		this.offsetMs = Math.round(serverNow - (sentAt + receivedAt) / 2);
	}
}

/** A request's rate proposal as script arguments (`rateOf` in the scripts): five, '' for none. */
function proposalArgs({ proposal }: AdmitRequest): string[] {
	if (!proposal) return ['', '', '', '', ''];
	return [
		String(proposal.ratePerSecond),
		proposal.state,
		proposal.lastDecrease === undefined ? '' : String(proposal.lastDecrease),
		proposal.sender,
		proposal.basedOn === undefined ? '' : String(proposal.basedOn),
	];
}

/** The shared rate at the head of an admit reply (`rateReply`): version '0' means none. */
function sharedRateOf([version, rate, state, lastDecrease, at, sender]: Reply):
	| SharedRate
	| undefined {
	if (version === '0' || version === undefined) return undefined;
	return {
		ratePerSecond: Number(rate),
		state: String(state),
		...(lastDecrease === '' ? {} : { lastDecrease: Number(lastDecrease) }),
		at: Number(at),
		sender: String(sender),
		version: Number(version),
	};
}

function admissionOf(reply: Reply): Admission {
	const [kind, a, b, c] = reply;
	switch (kind) {
		case 'granted':
			return { kind, leaseId: String(a), circuitProbe: b === '1', inFlight: Number(c) };
		case 'wait':
			return { kind, ms: Number(a), paused: b === '1' };
		case 'full':
			return { kind };
		case 'refused':
			return { kind, reason: String(a) };
		default:
			throw new Error(`Redis limit store: unexpected admit reply ${JSON.stringify(reply)}`);
	}
}

/** What another worker (or an older version) stored: used only when it has the required fields. */
function parseLearned(json: string): LearnedLimits | undefined {
	let value: unknown;
	try {
		value = JSON.parse(json);
	} catch {
		return undefined;
	}
	if (typeof value !== 'object' || value === null) return undefined;
	const { ratePerSecond, concurrency, at } = value as Record<string, unknown>;
	const numbers = [ratePerSecond, concurrency, at].every(
		(n) => typeof n === 'number' && Number.isFinite(n),
	);
	return numbers ? (value as LearnedLimits) : undefined;
}
