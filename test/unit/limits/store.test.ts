import { MAX_CLAIMS, MemoryLimitStore } from '../../../src/engine/limits/store';
import { VirtualClock } from '../../support/virtualClock';

const REQUEST = { ratePerSecond: 10, burst: 1, concurrency: 2, leaseMs: 60_000 };

describe('MemoryLimitStore', () => {
	let clock: VirtualClock;
	let store: MemoryLimitStore;
	beforeEach(() => {
		clock = new VirtualClock();
		store = new MemoryLimitStore(clock);
	});

	it('admits on a token and a lease, taken together', async () => {
		const first = await store.admit('s', REQUEST);
		expect(first).toMatchObject({ kind: 'granted', inFlight: 1, circuitProbe: false });
		expect(await store.admit('s', REQUEST)).toEqual({ kind: 'wait', ms: 100, paused: false });
		await clock.run(clock.sleep(100));
		expect(await store.admit('s', REQUEST)).toMatchObject({ kind: 'granted', inFlight: 2 });
		await clock.run(clock.sleep(100));
		expect(await store.admit('s', REQUEST)).toEqual({ kind: 'full' });
		if (first.kind === 'granted') await store.release('s', first.leaseId);
		expect(await store.admit('s', REQUEST)).toMatchObject({ kind: 'granted', inFlight: 2 });
	});

	it('a pause holds every admission until it ends, then one token, paced', async () => {
		await store.pause('s', clock.now() + 2_000, REQUEST);
		expect(await store.admit('s', REQUEST)).toEqual({ kind: 'wait', ms: 2_000, paused: true });
		await clock.run(clock.sleep(2_000));
		expect(await store.admit('s', REQUEST)).toMatchObject({ kind: 'granted' });
		expect(await store.admit('s', REQUEST)).toEqual({ kind: 'wait', ms: 100, paused: false });
	});

	it('refuses while its circuit is open, then lets exactly one probe through', async () => {
		await store.openCircuit('s', {
			state: 'open',
			reason: 'down',
			cause: 'server',
			until: clock.now() + 1_000,
		});
		expect(await store.admit('s', REQUEST)).toEqual({ kind: 'refused', reason: 'down' });
		await clock.run(clock.sleep(1_000));
		expect(await store.admit('s', REQUEST)).toMatchObject({ kind: 'granted', circuitProbe: true });
		await clock.run(clock.sleep(1_000));
		expect(await store.admit('s', REQUEST)).toEqual({ kind: 'full' });
		await store.settleProbe('s', 'answered', 'ok', 60_000);
		expect(await store.admit('s', REQUEST)).toMatchObject({ kind: 'granted', circuitProbe: false });
	});

	it('counts consecutive server troubles, reset by any other answer', async () => {
		expect(await store.countAnswer('s', true)).toBe(1);
		expect(await store.countAnswer('s', true)).toBe(2);
		expect(await store.countAnswer('s', false)).toBe(0);
		expect(await store.countAnswer('s', true)).toBe(1);
	});

	it('keeps what was learned per key, as a copy', async () => {
		const learned = { ratePerSecond: 19, ceiling: 20, concurrency: 4, at: clock.now() };
		await store.saveLearned('a', learned);
		learned.ratePerSecond = 1;
		expect(await store.learned('a')).toEqual({ ...learned, ratePerSecond: 19 });
		expect(await store.learned('b')).toBeUndefined();
	});
});

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
