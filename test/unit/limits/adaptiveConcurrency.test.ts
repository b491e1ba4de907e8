import {
	AdaptiveConcurrency,
	CEILING_PROBE_MS,
} from '../../../src/engine/limits/adaptiveConcurrency';
import { QUIET_MS } from '../../../src/engine/limits/adaptiveRate';

describe('AdaptiveConcurrency', () => {
	it('grows while answers stay as fast as unloaded and the limit is in use, up to the maximum', () => {
		const concurrency = new AdaptiveConcurrency(4, 16, 0);
		let t = 0;
		for (let i = 0; i < 200; i++) concurrency.onAnswer((t += 10), 50, concurrency.value);
		expect(concurrency.value).toBe(16);
	});

	it('does not grow a limit nobody uses (fewer than half of it in flight)', () => {
		const concurrency = new AdaptiveConcurrency(8, 64, 0);
		for (let t = 0; t < 2_000; t += 10) concurrency.onAnswer(t, 50, 3);
		expect(concurrency.value).toBe(8);
	});

	it('shrinks when latency climbs with concurrency (the system queues)', () => {
		const concurrency = new AdaptiveConcurrency(32, 64, 0);
		let t = 0;
		for (let i = 0; i < 50; i++) concurrency.onAnswer((t += 10), 50, 32);
		const before = concurrency.value;
		for (let i = 0; i < 50; i++) concurrency.onAnswer((t += 10), 400, concurrency.value);
		expect(concurrency.value).toBeLessThan(before / 2);
	});

	it('"too many concurrent requests" sets a ceiling one under the requests in flight, held, then probed one higher', () => {
		const concurrency = new AdaptiveConcurrency(4, 64, 0);
		concurrency.onConcurrencyOverload(1_000, 3); // sent as the third in flight
		expect(concurrency.value).toBe(2);
		expect(concurrency.learnedCeiling).toBe(2);
		let t = 1_000;
		while (t < 1_000 + CEILING_PROBE_MS - 100) concurrency.onAnswer((t += 100), 50, 2);
		expect(concurrency.value).toBe(2); // held: clean answers at the ceiling, not yet probed
		concurrency.onAnswer((t += 200), 50, 2);
		expect(concurrency.learnedCeiling).toBe(3);
	});

	it('forgets a ceiling after a quiet spell, and keeps one learned recently', () => {
		const learned = { concurrency: 2, concurrencyCeiling: 2, at: 0 };
		expect(new AdaptiveConcurrency(4, 64, QUIET_MS - 1, learned).learnedCeiling).toBe(2);
		expect(new AdaptiveConcurrency(4, 64, QUIET_MS, learned).learnedCeiling).toBeUndefined();
		const kept = new AdaptiveConcurrency(4, 64, 0);
		kept.onConcurrencyOverload(0, 3);
		kept.relaxIfQuiet(QUIET_MS);
		expect(kept.learnedCeiling).toBeUndefined();
	});
});
