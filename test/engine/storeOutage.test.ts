/**
 * A shared limit store (Redis) that stops answering: no request goes out without its permission
 * (a worker never takes the whole budget for itself), requests wait for it, and past
 * `maxStoreOutageMs` the waiting pairs fail unsent with the reason. What the store misses while
 * down (a release, an answer's count) never loses an answer already received.
 */
import { LimiterRegistry } from '../../src/engine/limiter';
import { type LimitStore, MemoryLimitStore } from '../../src/engine/limits/store';
import { countBy } from '../support/engine';
import { recordReliability } from '../support/reliability';
import { HiddenSystem, removeAll } from '../support/hiddenSystem';
import { VirtualClock } from '../support/virtualClock';

/** A store that can be taken down: every method throws while `down`, as ioredis does offline. */
class FlakyStore extends MemoryLimitStore {
	down = false;
	calls = 0;
	failed = 0;
	constructor(clock: VirtualClock) {
		super(clock);
		for (const name of [
			'admit',
			'release',
			'pause',
			'capTokens',
			'countAnswer',
			'openCircuit',
			'settleProbe',
			'learned',
			'saveLearned',
			'confirmScope',
			'scopeConfirmed',
		] as const) {
			const real = (this[name] as (...args: unknown[]) => Promise<unknown>).bind(this);
			(this as unknown as Record<string, unknown>)[name] = async (...args: unknown[]) => {
				this.calls++;
				if (this.down) {
					this.failed++;
					throw new Error("Stream isn't writeable and enableOfflineQueue options is false");
				}
				return await real(...args);
			};
		}
	}
}

let clock: VirtualClock;
beforeEach(() => {
	clock = new VirtualClock();
});

describe('the shared limit store unreachable', () => {
	it('at the start: nothing is sent while it is down, then the run goes on at the limit', async () => {
		const store = new FlakyStore(clock);
		store.down = true;
		const system = new HiddenSystem(clock, { latencyMs: 5 });
		const t0 = clock.now();
		// Back after 10 s (within the 30 s outage limit).
		void clock.sleep(10_000).then(() => {
			store.down = false;
		});
		const run = await removeAll(clock, system, 20, {
			limiters: new LimiterRegistry(clock, store as LimitStore),
			limits: { ratePerSecond: 5, maxRatePerSecond: 5 },
		});
		recordReliability({
			table: 'Limits across workers',
			case: 'the shared store unreachable at the start for 10 s (virtual clock, 20 users, Max Rate 5/s)',
			expected: 'no request while it is down · then removed 20 at ≤ 5 (+1) a second',
			observed: `${system.requests.filter((r) => r.at < t0 + 10_000).length} requests while down · ${Object.entries(
				countBy(run.outcomes, (o) => o.status),
			)
				.map(([k, v]) => `${k} ${v}`)
				.join(', ')}`,
		});
		expect(countBy(run.outcomes, (o) => o.status)).toEqual({ removed: 20 });
		expect(store.failed).toBeGreaterThan(0);
		// Not one request while the store was down.
		expect(system.requests.filter((r) => r.at < t0 + 10_000)).toEqual([]);
		// After it: at 5/s, never a burst of the budget saved up while waiting.
		const first = system.requests[0].at;
		for (let from = first; from < clock.now(); from += 1_000)
			expect(
				system.requests.filter((r) => r.at >= from && r.at < from + 1_000).length,
			).toBeLessThanOrEqual(6);
	});

	it('mid-run for longer than the outage limit: the waiting pairs fail unsent with the reason; every sent pair keeps its answer', async () => {
		const store = new FlakyStore(clock);
		const system = new HiddenSystem(clock, { latencyMs: 5 });
		void clock.sleep(2_100).then(() => {
			store.down = true;
		});
		const run = await removeAll(clock, system, 40, {
			limiters: new LimiterRegistry(clock, store as LimitStore),
			limits: { ratePerSecond: 5, maxRatePerSecond: 5, maxStoreOutageMs: 30_000 },
		});
		const removed = run.outcomes.filter((o) => o.status === 'removed');
		const failed = run.outcomes.filter((o) => o.status === 'failed');
		recordReliability({
			table: 'Limits across workers',
			case: 'the shared store unreachable mid-run, for longer than its 30 s outage limit (virtual clock, 40 users)',
			expected:
				'every pair the system answered keeps its answer · the rest failed unsent, with the reason · no request after it went down',
			observed: `removed ${removed.length} (= ${system.requests.length} requests answered) · failed ${failed.length}, attempts ${[...new Set(failed.map((o) => o.attempts))].join('/')} · "${failed[0]?.reason.slice(0, 90)}…"`,
		});
		expect(run.outcomes).toHaveLength(40);
		// Exactly the pairs the system answered are removed; the rest were never sent.
		expect(removed.length).toBe(system.requests.length);
		expect(removed.length + failed.length).toBe(40);
		expect(failed.length).toBeGreaterThan(20);
		expect(failed.every((o) => o.attempts === 0)).toBe(true);
		expect([...new Set(failed.map((o) => o.reason))]).toEqual([
			"Flashback is paused: the shared limit store did not answer for 30 s (Stream isn't writeable and enableOfflineQueue options is false): not sent, so that no worker goes over the limit alone. Run again once it is back",
		]);
		// The outage limit, then the end: no request after the store went down.
		expect(system.requests.filter((r) => r.at >= clock.now() - run.elapsedMs + 2_100)).toEqual([]);
	});
});
