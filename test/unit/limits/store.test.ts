/**
 * One contract, two stores: every expectation runs against `MemoryLimitStore` (virtual clock, exact
 * to the millisecond) and `RedisLimitStore` (a redis-server of this file's own, real time). Redis's
 * clock cannot be moved, so a store's harness says how time passes and how far a measured wait may
 * fall short of the ideal one (the milliseconds the test itself took); then the Redis-only facts:
 * several workers on one limit, a dead holder's lease, the keys' shape, TTLs and secrecy, and every
 * script within one slot of a (one-node) Redis Cluster. The whole file takes about 5 s.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { Cluster, Redis } from 'ioredis';
import { RedisLimitStore } from '../../../src/engine/limits/redisStore';
import {
	ACCEPTED_KEPT_MS,
	type Admission,
	type AdmitAnswer,
	type AdmitRequest,
	type LimitStore,
	MAX_CLAIMS,
	MemoryLimitStore,
	TURN_YIELD_MS,
} from '../../../src/engine/limits/store';
import { type RedisServer, startRedis } from '../../support/redisServer';
import { VirtualClock } from '../../support/virtualClock';

const REQUEST: AdmitRequest = { ratePerSecond: 10, burst: 1, concurrency: 2, leaseMs: 60_000 };

type Granted = Extract<Admission, { kind: 'granted' }>;
const isGranted = (admission: Admission): admission is Granted => admission.kind === 'granted';
/** The wait an admission asks for (NaN when it is no wait, which fails every range). */
const msOf = (admission: Admission): number => (admission.kind === 'wait' ? admission.ms : NaN);

interface Harness {
	store: LimitStore;
	/** Lets `ms` pass on the store's clock (on Redis: a little more, never less). */
	advance(ms: number): Promise<void>;
	/** How far below the ideal a measured wait may be: the test's own milliseconds (0: exact). */
	shortBy: number;
	/** How far above: the error of a process's estimate of the server's clock (0: exact). */
	longBy: number;
}

let server: RedisServer;
let admin: Redis;

beforeAll(async () => {
	server = await startRedis();
	admin = server.connect();
});

afterAll(async () => {
	await server.stop();
});

async function redisStore(options: ConstructorParameters<typeof RedisLimitStore>[1] = {}) {
	const store = new RedisLimitStore(server.connect(), options);
	await store.syncClock();
	return store;
}

const STORES: Array<[string, () => Promise<Harness>]> = [
	[
		'MemoryLimitStore',
		async () => {
			const clock = new VirtualClock();
			return {
				store: new MemoryLimitStore(clock),
				advance: (ms) => clock.run(clock.sleep(ms)),
				shortBy: 0,
				longBy: 0,
			};
		},
	],
	[
		'RedisLimitStore',
		async () => {
			await admin.flushdb();
			return {
				store: await redisStore(),
				advance: (ms) => delay(ms + 10),
				shortBy: 50,
				longBy: 2,
			};
		},
	],
];

describe.each(STORES)('%s (the LimitStore contract)', (_name, makeHarness) => {
	let h: Harness;
	let store: LimitStore;
	beforeEach(async () => {
		h = await makeHarness();
		store = h.store;
	});

	/** A wait of `ms` (exactly, on a virtual clock). */
	function expectWait(admission: Admission, ms: number, paused: boolean): void {
		expect(admission).toMatchObject({ kind: 'wait', paused });
		expect(msOf(admission)).toBeGreaterThanOrEqual(ms - h.shortBy);
		expect(msOf(admission)).toBeLessThanOrEqual(ms + h.longBy);
	}

	it('admits on a token and a lease, taken together', async () => {
		const first = await store.admit('s', REQUEST);
		expect(first).toMatchObject({ kind: 'granted', inFlight: 1, circuitProbe: false });
		expectWait(await store.admit('s', REQUEST), 100, false);
		await h.advance(100);
		expect(await store.admit('s', REQUEST)).toMatchObject({ kind: 'granted', inFlight: 2 });
		await h.advance(100);
		expect(await store.admit('s', REQUEST)).toEqual({ kind: 'full' });
		if (first.kind === 'granted') await store.release('s', first.leaseId);
		expect(await store.admit('s', REQUEST)).toMatchObject({ kind: 'granted', inFlight: 2 });
	});

	it('gives back the lease of a holder that never released it once leaseMs has passed', async () => {
		const long = { ...REQUEST, ratePerSecond: 1_000, burst: 10, leaseMs: 60_000 };
		const short = { ...long, leaseMs: 200 };
		expect(await store.admit('s', long)).toMatchObject({ kind: 'granted', inFlight: 1 });
		expect(await store.admit('s', short)).toMatchObject({ kind: 'granted', inFlight: 2 });
		await h.advance(100);
		expect(await store.admit('s', short)).toEqual({ kind: 'full' });
		await h.advance(100);
		// The short lease is free again, the long one still held.
		expect(await store.admit('s', short)).toMatchObject({ kind: 'granted', inFlight: 2 });
		expect(await store.admit('s', short)).toEqual({ kind: 'full' });
	});

	it('a pause holds every admission until it ends, then one token, paced', async () => {
		const request = { ...REQUEST, burst: 5 };
		await store.pause('s', store.now() + 500, request);
		expectWait(await store.admit('s', request), 500, true);
		await h.advance(500);
		expect(await store.admit('s', request)).toMatchObject({ kind: 'granted' });
		expectWait(await store.admit('s', request), 100, false);
	});

	it('a later pause wins; an earlier one changes nothing; its end keeps its fraction of a ms', async () => {
		await store.pause('s', store.now() + 400.25, REQUEST);
		await store.pause('s', store.now() + 200, REQUEST);
		const held = await store.admit('s', REQUEST);
		expectWait(held, 400.25, true);
		expect(msOf(held) % 1).toBe(0.25);
	});

	it('holds no more tokens than the system says remain', async () => {
		const request = { ...REQUEST, burst: 5, concurrency: 10 };
		expect(await store.admit('s', request)).toMatchObject({ kind: 'granted' });
		await store.capTokens('s', 1, request);
		expect(await store.admit('s', request)).toMatchObject({ kind: 'granted' });
		expectWait(await store.admit('s', request), 100, false);
	});

	it('refuses while its circuit is open, then lets exactly one probe through', async () => {
		await store.openCircuit('s', {
			state: 'open',
			reason: 'down',
			cause: 'server',
			until: store.now() + 300,
		});
		expect(await store.admit('s', REQUEST)).toEqual({ kind: 'refused', reason: 'down' });
		await h.advance(300);
		expect(await store.admit('s', REQUEST)).toMatchObject({ kind: 'granted', circuitProbe: true });
		await h.advance(300);
		expect(await store.admit('s', REQUEST)).toEqual({ kind: 'full' });
		await store.settleProbe('s', 'answered', 'ok', 60_000);
		expect(await store.admit('s', REQUEST)).toMatchObject({ kind: 'granted', circuitProbe: false });
	});

	it('a server error on the probe reopens a 5xx circuit for the cooldown, with the new reason', async () => {
		await store.openCircuit('s', { state: 'open', reason: 'down', cause: 'server', until: 0 });
		const probe = await store.admit('s', REQUEST);
		expect(probe).toMatchObject({ kind: 'granted', circuitProbe: true });
		if (probe.kind === 'granted') await store.release('s', probe.leaseId);
		await store.settleProbe('s', 'server_error', 'still down', 300);
		expect(await store.admit('s', REQUEST)).toEqual({ kind: 'refused', reason: 'still down' });
		await h.advance(300);
		expect(await store.admit('s', REQUEST)).toMatchObject({ kind: 'granted', circuitProbe: true });
	});

	it('a lost probe answer leaves a quota circuit half-open for the next probe', async () => {
		const request = { ...REQUEST, ratePerSecond: 1_000 };
		await store.openCircuit('s', { state: 'open', reason: 'quota', cause: 'quota', until: 0 });
		const probe = await store.admit('s', request);
		expect(probe).toMatchObject({ kind: 'granted', circuitProbe: true });
		if (probe.kind === 'granted') await store.release('s', probe.leaseId);
		await store.settleProbe('s', 'transport_error', 'reset', 60_000);
		await h.advance(5);
		expect(await store.admit('s', request)).toMatchObject({ kind: 'granted', circuitProbe: true });
	});

	it('counts consecutive server troubles, reset by any other answer and by opening the circuit', async () => {
		expect(await store.countAnswer('s', true)).toBe(1);
		expect(await store.countAnswer('s', true)).toBe(2);
		expect(await store.countAnswer('s', false)).toBe(0);
		expect(await store.countAnswer('s', true)).toBe(1);
		await store.openCircuit('s', { state: 'open', reason: 'down', cause: 'server', until: 0 });
		expect(await store.countAnswer('s', true)).toBe(1);
		expect(await store.countAnswer('other', true)).toBe(1);
	});

	it('records accepted answers per key, for ACCEPTED_KEPT_MS, and tells their times since a moment', async () => {
		const t0 = store.now();
		await store.countAnswer('s', false, 'a1');
		await store.countAnswer('s', true); // a server error: not accepted
		await store.countAnswer('s', false); // answered but not accepted (a 429): no id
		await h.advance(1_000);
		const t1 = store.now();
		await store.countAnswer('s', false, 'a2');
		await store.countAnswer('other', false, 'a3');
		const all = await store.acceptedSince('s', t0);
		expect(all).toHaveLength(2);
		expect(all[0]).toBeGreaterThanOrEqual(t0);
		expect(all[0]).toBeLessThan(t1);
		expect(all[1]).toBeGreaterThanOrEqual(t1);
		expect(all[1]).toBeLessThanOrEqual(store.now());
		expect(await store.acceptedSince('s', t1)).toEqual([all[1]]);
		expect(await store.acceptedSince('nothing', t0)).toEqual([]);
		// The first one leaves the record just past ACCEPTED_KEPT_MS after it came, the second later.
		await h.advance(ACCEPTED_KEPT_MS - 1_000 + 1 + h.shortBy);
		expect(await store.acceptedSince('s', t0)).toEqual([all[1]]);
		await h.advance(1_000);
		expect(await store.acceptedSince('s', t0)).toEqual([]);
	});

	it('keeps one shared rate: a rise from an old version is refused, a new decrease always wins', async () => {
		const ask = (sender: string, rate: number, basedOn?: number, lastDecrease?: number) =>
			store.admit('s', {
				...REQUEST,
				ratePerSecond: 100, // the caller's own rate: the bucket refills at the shared one
				concurrency: 100,
				proposal: {
					ratePerSecond: rate,
					state: `{"by":"${sender}","rate":${rate}}`,
					...(lastDecrease === undefined ? {} : { lastDecrease }),
					sender,
					...(basedOn === undefined ? {} : { basedOn }),
				},
			});
		const shared = (answer: AdmitAnswer) => {
			const { at, ...rest } = answer.rate ?? { at: NaN };
			expect(at).toBeGreaterThanOrEqual(t0);
			expect(at).toBeLessThanOrEqual(store.now());
			return rest;
		};
		const t0 = store.now();
		const first = await ask('A', 10);
		expect(first).toMatchObject({ kind: 'granted' });
		expect(shared(first)).toEqual({
			ratePerSecond: 10,
			state: '{"by":"A","rate":10}',
			sender: 'A',
			version: 1,
		});
		// B has seen no version: refused, told version 1 (and waits at 10/s, not its own 100/s).
		const refused = await ask('B', 12);
		expect(shared(refused)).toMatchObject({ ratePerSecond: 10, sender: 'A', version: 1 });
		expectWait(refused, 100, false);
		await h.advance(100);
		expect(shared(await ask('B', 12, 1))).toMatchObject({ ratePerSecond: 12, version: 2 });
		// A rises from version 1: refused. The same proposal again changes no version.
		expect(shared(await ask('A', 11, 1))).toMatchObject({
			ratePerSecond: 12,
			sender: 'B',
			version: 2,
		});
		await h.advance(100);
		expect(shared(await ask('B', 12, 2))).toMatchObject({ version: 2 });
		// A 429 event the store has not seen lowers it, whatever the version; one it has seen does not.
		const lowered = await ask('A', 6, 1, 5_000);
		expect(shared(lowered)).toEqual({
			ratePerSecond: 6,
			state: '{"by":"A","rate":6}',
			lastDecrease: 5_000,
			sender: 'A',
			version: 3,
		});
		expect(shared(await ask('B', 5, 2, 5_000))).toMatchObject({ ratePerSecond: 6, version: 3 });
		expect(shared(await ask('B', 7, 2, 4_000))).toMatchObject({ ratePerSecond: 6, version: 3 });
		// The bucket refills at the shared 6/s: the next token in 1000 ÷ 6 ms.
		expectWait(await ask('B', 6, 3, 5_000), 167, false);
		// Without a proposal, nothing shared is told and the caller's rate refills the bucket.
		expect((await store.admit('t', REQUEST)).rate).toBeUndefined();
	});

	it("gives the token to the sender whose run waited longest; a stale or served sender's turn is forgotten", async () => {
		const request = (sender: string, since: number): AdmitRequest => ({
			...REQUEST,
			concurrency: 100,
			turn: { sender, since, staleMs: 300 },
		});
		const t = store.now();
		expect(await store.admit('s', request('B', t - 50))).toMatchObject({ kind: 'granted' });
		expectWait(await store.admit('s', request('A', t - 10)), 100, false);
		expectWait(await store.admit('s', request('C', t - 50)), 100, false);
		await h.advance(100);
		// A asks first, but C's run has waited longer: the token stays for C.
		expect(await store.admit('s', request('A', t - 10))).toMatchObject({
			kind: 'wait',
			ms: TURN_YIELD_MS,
			paused: false,
		});
		expect(await store.admit('s', request('C', t - 50))).toMatchObject({ kind: 'granted' });
		// C was served: forgotten at once, so A's turn is next (at the next token).
		expectWait(await store.admit('s', request('A', t - 10)), 100, false);
		await h.advance(100);
		expect(await store.admit('s', request('A', t - 10))).toMatchObject({ kind: 'granted' });
		// D asks once and never again: while fresh it holds E back; once stale, no longer.
		expectWait(await store.admit('s', request('D', t - 1_000)), 100, false);
		await h.advance(100);
		expect(await store.admit('s', request('E', t))).toMatchObject({
			kind: 'wait',
			ms: TURN_YIELD_MS,
		});
		await h.advance(300);
		expect(await store.admit('s', request('E', t))).toMatchObject({ kind: 'granted' });
		// Without a turn, nobody is held back.
		expect(await store.admit('s', { ...REQUEST, concurrency: 100 })).toMatchObject({
			kind: 'wait',
		});
	});

	it('keeps what was learned per key, as a copy', async () => {
		const learned = { ratePerSecond: 19.5, ceiling: 20, concurrency: 4, at: 1_795_741_594_123 };
		await store.saveLearned('a', learned);
		learned.ratePerSecond = 1;
		expect(await store.learned('a')).toEqual({ ...learned, ratePerSecond: 19.5 });
		expect(await store.learned('b')).toBeUndefined();
	});

	it('keeps scope evidence until the later of its ends, and no longer', async () => {
		await store.confirmScope('scope', store.now() + 300);
		await store.confirmScope('scope', store.now() + 100);
		expect(await store.scopeConfirmed('scope')).toBe(true);
		expect(await store.scopeConfirmed('other scope')).toBe(false);
		await h.advance(150);
		expect(await store.scopeConfirmed('scope')).toBe(true);
		await h.advance(150);
		expect(await store.scopeConfirmed('scope')).toBe(false);
	});

	it('claims a key once within its ttl, then again', async () => {
		expect(await store.claimOnce('warned', 200)).toBe(true);
		expect(await store.claimOnce('warned', 200)).toBe(false);
		expect(await store.claimOnce('other', 200)).toBe(true);
		await h.advance(200);
		expect(await store.claimOnce('warned', 200)).toBe(true);
	});

	it('takes a sliding-window budget all or nothing, and frees it as its units leave the window', async () => {
		const start = store.now();
		expect(await store.takeBudget('tool', 2, 3, 400)).toEqual({ taken: true, used: 2 });
		await h.advance(200);
		// 2 used + 2 asked > 3: nothing taken; frees when the first units leave the window.
		const refused = await store.takeBudget('tool', 2, 3, 400);
		expect(refused).toMatchObject({ taken: false, used: 2 });
		if (refused.taken) throw new Error('unreachable');
		expect(refused.freesAt).toBeGreaterThanOrEqual(start + 400 - h.shortBy);
		expect(refused.freesAt).toBeLessThanOrEqual(start + 400 + 20);
		expect(await store.takeBudget('tool', 1, 3, 400)).toEqual({ taken: true, used: 3 });
		expect(await store.takeBudget('other tool', 3, 3, 400)).toEqual({ taken: true, used: 3 });
		await h.advance(210);
		// The first two left the window; the one taken at 200 ms is still in it.
		expect(await store.takeBudget('tool', 2, 3, 400)).toEqual({ taken: true, used: 3 });
		expect(await store.takeBudget('tool', 1, 3, 400)).toMatchObject({ taken: false, used: 3 });
	});
});

/** What only the in-process store has: a bound on its replay memory, and clear(). */
describe('MemoryLimitStore.claimOnce (replay memory)', () => {
	let clock: VirtualClock;
	let store: MemoryLimitStore;
	beforeEach(() => {
		clock = new VirtualClock();
		store = new MemoryLimitStore(clock);
	});

	it('is true the first time a key is claimed, false while the claim lasts', async () => {
		expect(await store.claimOnce('k', 1_000)).toBe(true);
		expect(await store.claimOnce('k', 1_000)).toBe(false);
		expect(await store.claimOnce('other', 1_000)).toBe(true);
		await clock.run(clock.sleep(999));
		expect(await store.claimOnce('k', 1_000)).toBe(false);
	});

	it('forgets a claim when its ttl is over, so the key can be claimed again', async () => {
		expect(await store.claimOnce('k', 1_000)).toBe(true);
		await clock.run(clock.sleep(1_000));
		expect(await store.claimOnce('k', 1_000)).toBe(true);
		expect(await store.claimOnce('k', 1_000)).toBe(false);
	});

	it('two claims at once: exactly one wins', async () => {
		const results = await Promise.all([store.claimOnce('k', 1_000), store.claimOnce('k', 1_000)]);
		expect(results.sort()).toEqual([false, true]);
	});

	it('stays bounded: at the cap it refuses new keys until claims expire, never forgets a live one', async () => {
		for (let i = 0; i < MAX_CLAIMS; i++) expect(await store.claimOnce(`k${i}`, 1_000)).toBe(true);
		expect(await store.claimOnce('one-too-many', 1_000)).toBe(false);
		expect(await store.claimOnce('k0', 1_000)).toBe(false);
		await clock.run(clock.sleep(1_000));
		expect(await store.claimOnce('one-too-many', 1_000)).toBe(true);
		expect(await store.claimOnce('k0', 1_000)).toBe(true);
	});

	it('clear() forgets claims with the rest of the process state', async () => {
		expect(await store.claimOnce('k', 60_000)).toBe(true);
		store.clear();
		expect(await store.claimOnce('k', 60_000)).toBe(true);
	});
});

describe('RedisLimitStore across workers (two connections, one Redis)', () => {
	let a: RedisLimitStore;
	let b: RedisLimitStore;
	beforeEach(async () => {
		await admin.flushdb();
		a = await redisStore();
		b = await redisStore();
	});

	it('never grants more leases than the concurrency, however the admissions interleave', async () => {
		const request = { ratePerSecond: 1_000, burst: 100, concurrency: 3, leaseMs: 60_000 };
		const answers = await Promise.all(
			Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).admit('s', request)),
		);
		const inFlight = answers.filter(isGranted).map((answer) => answer.inFlight);
		expect(inFlight.sort((x, y) => x - y)).toEqual([1, 2, 3]);
		expect(answers.filter((answer) => answer.kind === 'full')).toHaveLength(17);
		expect(await admin.zcard(a.keysOf('s').leases)).toBe(3);
	});

	it('never hands out more tokens than the bucket holds, however the admissions interleave', async () => {
		// One token per 100 s: the test's own milliseconds refill nothing.
		const request = { ratePerSecond: 0.01, burst: 4, concurrency: 50, leaseMs: 60_000 };
		const answers = await Promise.all(
			Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).admit('s', request)),
		);
		expect(answers.filter((answer) => answer.kind === 'granted')).toHaveLength(4);
		const waits = answers.filter((answer) => answer.kind === 'wait');
		expect(waits).toHaveLength(16);
		for (const wait of waits) {
			expect(wait).toMatchObject({ paused: false });
			expect(msOf(wait)).toBeGreaterThan(99_000);
			expect(msOf(wait)).toBeLessThanOrEqual(100_000);
		}
	});

	it("gives back a dead worker's lease after leaseMs, to another worker", async () => {
		const request = { ratePerSecond: 1_000, burst: 10, concurrency: 1, leaseMs: 200 };
		const start = Date.now();
		expect(await a.admit('s', request)).toMatchObject({ kind: 'granted' });
		// Worker a dies here: it never releases. Worker b polls.
		const seen: string[] = [];
		let answer: Admission;
		do {
			answer = await b.admit('s', request);
			seen.push(answer.kind);
			if (answer.kind === 'full') await delay(20);
		} while (answer.kind === 'full');
		const elapsed = Date.now() - start;
		expect(answer).toMatchObject({ kind: 'granted', inFlight: 1 });
		expect(seen[0]).toBe('full');
		expect(elapsed).toBeGreaterThanOrEqual(199);
		expect(elapsed).toBeLessThan(500);
	});

	it('after a shared pause, the workers together resume with one token, then paced', async () => {
		const request = { ratePerSecond: 5, burst: 5, concurrency: 10, leaseMs: 60_000 };
		await a.pause('s', a.now() + 300, request);
		const held = await b.admit('s', request);
		expect(held).toMatchObject({ kind: 'wait', paused: true });
		expect(msOf(held)).toBeGreaterThan(250);
		await delay(310);
		const answers = await Promise.all(
			Array.from({ length: 6 }, (_, i) => (i % 2 ? a : b).admit('s', request)),
		);
		expect(answers.filter((answer) => answer.kind === 'granted')).toHaveLength(1);
		const waits = answers.filter((answer) => answer.kind === 'wait');
		expect(waits).toHaveLength(5);
		for (const wait of waits) {
			expect(wait).toMatchObject({ paused: false });
			expect(msOf(wait)).toBeGreaterThan(150);
			expect(msOf(wait)).toBeLessThanOrEqual(200);
		}
	});

	it("records every worker's accepted answers in one list, each id once", async () => {
		const since = a.now();
		await Promise.all(
			Array.from({ length: 10 }, (_, i) =>
				(i % 2 ? a : b).countAnswer('s', false, `${i % 2 ? 'a' : 'b'}-${i}`),
			),
		);
		await a.countAnswer('s', false, 'a-1'); // the same id again: one answer
		const fromA = await a.acceptedSince('s', since - 5);
		expect(fromA).toHaveLength(10);
		expect(await b.acceptedSince('s', since - 5)).toEqual(fromA);
		expect([...fromA].sort((x, y) => x - y)).toEqual(fromA);
	});

	it('two workers claiming one key at once: exactly one wins', async () => {
		const results = await Promise.all([a.claimOnce('k', 60_000), b.claimOnce('k', 60_000)]);
		expect(results.sort()).toEqual([false, true]);
	});

	it('goes on after Redis lost its scripts (a restart empties the script cache)', async () => {
		expect(await a.countAnswer('s', true)).toBe(1);
		expect(await admin.script('FLUSH')).toBe('OK');
		expect(await a.countAnswer('s', true)).toBe(2);
		expect(await b.countAnswer('s', true)).toBe(3);
	});

	it("tells the server's time even when the local clock is an hour off", async () => {
		const behind = await redisStore({ localNow: () => Date.now() - 3_600_000 });
		const [seconds, micros] = await admin.time();
		const serverNow = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
		expect(Math.abs(behind.now() - serverNow)).toBeLessThanOrEqual(5);
		// Its pause, read by a worker whose clock is right, lasts what it said.
		await behind.pause('s', behind.now() + 300, REQUEST);
		const held = await a.admit('s', REQUEST);
		expect(held).toMatchObject({ kind: 'wait', paused: true });
		expect(msOf(held)).toBeGreaterThan(250);
		expect(msOf(held)).toBeLessThanOrEqual(302);
	});
});

describe('RedisLimitStore keys', () => {
	beforeEach(async () => {
		await admin.flushdb();
	});

	/** Every key there is, with its value and TTL. */
	async function dump(): Promise<Array<{ key: string; value: string; pttl: number }>> {
		const keys = (await admin.keys('*')).sort();
		return Promise.all(
			keys.map(async (key) => {
				const type = await admin.type(key);
				const value =
					type === 'hash'
						? JSON.stringify(await admin.hgetall(key))
						: type === 'zset'
							? JSON.stringify(await admin.zrange(key, 0, -1, 'WITHSCORES'))
							: String(await admin.get(key));
				return { key, value, pttl: await admin.pttl(key) };
			}),
		);
	}

	async function useEveryMethod(store: RedisLimitStore, key: string): Promise<void> {
		await store.admit(key, { ...REQUEST, leaseMs: 30_000 });
		await store.countAnswer(key, false, 'lease-1');
		await store.saveLearned(key, { ratePerSecond: 5, concurrency: 2, at: store.now() });
		await store.confirmScope(`${key}:project-1`, store.now() + 90_000);
		await store.claimOnce(`${key}:warned`, 45_000);
	}

	it('are under the prefix, one hash tag per system key, each with a TTL', async () => {
		const store = await redisStore({ idleTtlMs: 60_000, learnedTtlMs: 120_000 });
		await useEveryMethod(store, 'productAccess:cred-1');
		// Known answers: the first 16 hex digits of sha256 of the key, e.g.
		// printf %s 'productAccess:cred-1' | sha256sum → 6046504bcde530cb…
		const keys = await dump();
		expect(keys.map(({ key }) => key)).toEqual([
			'n8n-offboarding:{12e2b467853df9ee}:once', // productAccess:cred-1:warned
			'n8n-offboarding:{6046504bcde530cb}:accepted',
			'n8n-offboarding:{6046504bcde530cb}:learned',
			'n8n-offboarding:{6046504bcde530cb}:leases',
			'n8n-offboarding:{6046504bcde530cb}:state',
			'n8n-offboarding:{c72d4d856004d068}:scope', // productAccess:cred-1:project-1
		]);
		const pttl = Object.fromEntries(keys.map(({ key, pttl }) => [key.split(':').pop(), pttl]));
		const within = (ms: number): [number, number] => [ms - 1_000, ms + 2];
		expect(pttl.state).toBeGreaterThan(within(60_000)[0]);
		expect(pttl.state).toBeLessThanOrEqual(within(60_000)[1]);
		expect(pttl.accepted).toBeGreaterThan(within(ACCEPTED_KEPT_MS)[0]);
		expect(pttl.accepted).toBeLessThanOrEqual(within(ACCEPTED_KEPT_MS)[1]);
		expect(pttl.leases).toBeGreaterThan(within(30_000)[0]);
		expect(pttl.leases).toBeLessThanOrEqual(within(30_000)[1]);
		expect(pttl.learned).toBeGreaterThan(within(120_000)[0]);
		expect(pttl.learned).toBeLessThanOrEqual(within(120_000)[1]);
		expect(pttl.scope).toBeGreaterThan(within(90_000)[0]);
		expect(pttl.scope).toBeLessThanOrEqual(within(90_000)[1]);
		expect(pttl.once).toBeGreaterThan(within(45_000)[0]);
		expect(pttl.once).toBeLessThanOrEqual(within(45_000)[1]);
	});

	it('a released last lease leaves no leases key behind', async () => {
		const store = await redisStore();
		const granted = await store.admit('s', REQUEST);
		if (granted.kind === 'granted') await store.release('s', granted.leaseId);
		expect(await admin.exists(store.keysOf('s').leases)).toBe(0);
		expect(await admin.exists(store.keysOf('s').state)).toBe(1);
	});

	it('never hold a credential key verbatim, in a key name or a value', async () => {
		const secret = 'sk_live_51HxFAKEsecretTOKEN';
		const store = await redisStore();
		await useEveryMethod(store, `mudbase:${secret}`);
		const keys = await dump();
		expect(keys).toHaveLength(6);
		for (const { key, value } of keys) {
			expect(key).not.toContain(secret);
			expect(value).not.toContain(secret);
			expect(value).not.toContain('mudbase');
		}
	});
});

describe('RedisLimitStore on a Redis Cluster', () => {
	let cluster: RedisServer;
	let client: Cluster;
	beforeAll(async () => {
		cluster = await startRedis({ cluster: true });
		client = cluster.connectCluster();
	});
	afterAll(async () => {
		await cluster.stop();
	});

	it("refuses a command across two systems' keys (the check this test relies on is on)", async () => {
		const store = new RedisLimitStore(client);
		const [a, b] = [store.keysOf('productAccess:cred-1'), store.keysOf('mudbase:cred-2')];
		await expect(client.eval('return 1', 2, a.state, b.state)).rejects.toThrow(/CROSSSLOT/);
	});

	it('runs every script, each within one slot', async () => {
		const store = new RedisLimitStore(client);
		await store.syncClock();
		const key = 'productAccess:cred-1';
		const granted = await store.admit(key, REQUEST);
		expect(granted).toMatchObject({ kind: 'granted', inFlight: 1 });
		if (granted.kind === 'granted') await store.release(key, granted.leaseId);
		await store.pause(key, store.now() + 300, REQUEST);
		await store.capTokens(key, 0, REQUEST);
		expect(await store.countAnswer(key, true)).toBe(1);
		expect(await store.countAnswer(key, false, 'lease-x')).toBe(0);
		expect(await store.acceptedSince(key, 0)).toHaveLength(1);
		await store.openCircuit(key, { state: 'open', reason: 'down', cause: 'server', until: 0 });
		await store.settleProbe(key, 'answered', 'ok', 1_000);
		await store.saveLearned(key, { ratePerSecond: 5, concurrency: 2, at: 1 });
		expect(await store.learned(key)).toEqual({ ratePerSecond: 5, concurrency: 2, at: 1 });
		await store.confirmScope(`${key}:project-1`, store.now() + 1_000);
		expect(await store.scopeConfirmed(`${key}:project-1`)).toBe(true);
		expect(await store.claimOnce(`${key}:warned`, 1_000)).toBe(true);
		expect(await store.admit(key, REQUEST)).toMatchObject({ kind: 'wait', paused: true });
	});
});
