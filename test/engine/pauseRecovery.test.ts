/**
 * After a Retry-After pause, a system behind a hidden limit is paced back in and its rate learned
 * from what it accepted beyond its refilled burst. Found by the benchmarks (docs/BENCHMARKS.md §1):
 * 2,000 users behind a hidden 20 req/s announced by Retry-After took 2.8 × the ideal time — each
 * pause ended in a burst of saved-up tokens, and each 429 after it halved the rate (100 → 45 → 20
 * → 9 → 4 req/s).
 */
import { AdaptiveRate } from '../../src/engine/limits/adaptiveRate';
import { LimiterRegistry } from '../../src/engine/limiter';
import { collect, newRun, pairsFor, runtimeFor } from '../support/engine';
import { flashbackBehindLimit } from '../support/fakeSystem';
import { VirtualClock } from '../support/virtualClock';

describe('AdaptiveRate after a pause', () => {
	it('learns the rate a system accepts beyond its refilled burst, a fifth lower at most per 429', () => {
		const rate = new AdaptiveRate(100, 100, 0, 0.1);
		// The first 429 of all: 5 accepted at once, too fast to measure: that was the system's burst.
		for (let t = 0; t < 5; t++) rate.onAccepted(t);
		rate.onRateLimited(5, 0);
		expect(rate.learnedCeiling).toBe(50); // TCP's halving
		let t = 5;
		const ceilings: number[] = [];
		for (let cycle = 0; cycle < 4; cycle++) {
			// A 1 s pause; then, paced, 5 ride on the refilled burst and 20 more come in a second.
			t += 1_000;
			rate.onPaused(t, t);
			for (let i = 0; i < 25; i++) rate.onAccepted(t + i * 40);
			t += 1_000;
			const before = rate.value;
			rate.onRateLimited(t, t - 10);
			ceilings.push(rate.learnedCeiling ?? 0);
			expect(rate.learnedCeiling).toBeGreaterThanOrEqual(before * 0.8 - 1e-9);
		}
		// (25 − 5 + ½) ÷ 1 s: 20.5/s, where the raw window reads 25/s; reached in steps of a fifth.
		expect(ceilings[0]).toBeGreaterThan(30);
		expect(ceilings[3]).toBeCloseTo(20.5, 5);
		expect(rate.value).toBeCloseTo(20.5 * 0.97, 5);
	});

	it('without the burst to discount, lowers the rate by a fifth when it cannot measure', () => {
		const rate = new AdaptiveRate(100, 100, 0, 0.1);
		rate.onRateLimited(0, 0); // no answer at all: halving
		expect(rate.learnedCeiling).toBe(50);
		rate.onPaused(1_000, 1_000);
		rate.onAccepted(1_010);
		const before = rate.value;
		rate.onRateLimited(1_020, 1_015); // one answer since the pause: nothing to measure
		expect(rate.learnedCeiling).toBeCloseTo(before * 0.8, 9);
	});
});

describe('a Retry-After pause in a run', () => {
	it('resumes paced, not with a burst of saved-up tokens, and settles near the hidden rate', async () => {
		const clock = new VirtualClock();
		const fake = flashbackBehindLimit(clock, 20, 5);
		const t0 = clock.now();
		const outcomes = await clock.run(
			collect(
				newRun(pairsFor('flashback', 1_000), {
					systems: {
						flashback: runtimeFor('flashback', fake.transport, {
							limits: { maxConcurrency: 8, ratePerSecond: 100, burst: 8 },
							retry: { maxAttempts: 8 },
						}),
					},
					clock,
					limiters: new LimiterRegistry(clock),
				}),
			),
		);
		expect(outcomes.every((o) => o.status === 'removed')).toBe(true);
		const limited = fake.sent.filter((s) => (s.answer as { status?: number }).status === 429);
		// Within 10 ms of each pause's end at most one request goes: the rest are paced.
		for (const l of limited) {
			const resumed = (l.answeredAt as number) + 1_000;
			expect(
				fake.sent.filter((s) => s.at >= resumed && s.at < resumed + 10).length,
			).toBeLessThanOrEqual(1);
		}
		// 1,000 users at 20/s with a burst of 5: ideal 49.75 s (it took 2.8 × that before).
		expect(clock.now() - t0).toBeLessThan(49_750 * 1.15);
		expect(limited.length).toBeLessThan(1_000 * 0.02);
	});
});
