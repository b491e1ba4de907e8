import { AdaptiveRate, QUIET_MS } from '../../../src/engine/limits/adaptiveRate';

function acceptEvery(rate: AdaptiveRate, fromMs: number, toMs: number, stepMs: number): number {
	let t = fromMs;
	for (; t < toMs; t += stepMs) rate.onAccepted(t);
	return t;
}

describe('AdaptiveRate', () => {
	it('stays at the configured rate until a 429', () => {
		const rate = new AdaptiveRate(100, 100, 0, 0.1);
		acceptEvery(rate, 0, 5_000, 10);
		expect(rate.value).toBe(100);
		expect(rate.learnedCeiling).toBeUndefined();
	});

	it('learns the accepted rate as the ceiling on a 429 and drops just under it', () => {
		const rate = new AdaptiveRate(100, 100, 0, 0.1);
		const t = acceptEvery(rate, 0, 2_000, 20); // the system accepted 50/s
		rate.onRateLimited(t, t - 50);
		expect(rate.learnedCeiling).toBeCloseTo(50, 0);
		expect(rate.value).toBeCloseTo(47.5, 0);
	});

	it('reduces once for the 429s of one burst, not once per answer', () => {
		const rate = new AdaptiveRate(100, 100, 0, 0.1);
		const t = acceptEvery(rate, 0, 2_000, 20);
		for (let i = 0; i < 8; i++) rate.onRateLimited(t + i, t - 30); // eight in flight, all sent before the first 429
		expect(rate.learnedCeiling).toBeCloseTo(50, 0);
		expect(rate.value).toBeCloseTo(47.5, 0);
		// Sent just after the decrease, while the system's bucket refills: still the same event.
		rate.onRateLimited(t + 600, t + 500);
		expect(rate.value).toBeCloseTo(47.5, 0);
		// A second later it is a new event.
		rate.onRateLimited(t + 1_600, t + 1_500);
		expect(rate.value).toBeLessThan(47.5);
	});

	it('measures the rate while accepting, not across a pause', () => {
		const rate = new AdaptiveRate(100, 100, 0, 0.1);
		let t = acceptEvery(rate, 0, 2_000, 20);
		rate.onRateLimited(t, t - 10);
		rate.onPaused(t);
		t += 1_000; // a Retry-After: 1 pause: nothing accepted
		t = acceptEvery(rate, t, t + 1_000, 22); // then 45/s, what we now send
		rate.onRateLimited(t, t - 10);
		// Across the pause it would read ~22/s; while accepting it is 45/s.
		expect(rate.learnedCeiling).toBeCloseTo(45.45, 1);
	});

	it('climbs fast below the ceiling, then probes slowly above 90 % of it', () => {
		const rate = new AdaptiveRate(100, 100, 0, 0.1);
		let t = acceptEvery(rate, 0, 2_000, 20);
		rate.onRateLimited(t, t - 10); // ceiling 50, rate 47.5
		t = acceptEvery(rate, t, t + 10_000, 25);
		// 9.975 s of probing (the last answer at +9,975 ms) at 0.1 % of 50 per second.
		expect(rate.value).toBeCloseTo(47.5 + 50 * 0.001 * 9.975, 9);
	});

	it('never goes above the configured rate, nor below the floor', () => {
		const rate = new AdaptiveRate(10, 10, 0, 0.1);
		let t = 0;
		for (let i = 0; i < 50; i++) {
			t += 1_000;
			rate.onRateLimited(t, t - 1);
		}
		expect(rate.value).toBe(0.1);
		t = acceptEvery(rate, t, t + 600_000, 50);
		expect(rate.value).toBeLessThanOrEqual(10);
	});
});

describe('AdaptiveRate discovery', () => {
	it('slow start: doubles every 750 ms while the rate holds requests back, up to the maximum', () => {
		const rate = new AdaptiveRate(5, 200, 0, 0.1);
		rate.onAccepted(750);
		expect(rate.value).toBeCloseTo(10, 9);
		rate.onAccepted(1_500);
		expect(rate.value).toBeCloseTo(20, 9);
		for (let t = 1_600; t < 10_000; t += 100) rate.onAccepted(t);
		expect(rate.value).toBe(200);
	});

	it('does not grow while the rate is not what holds requests back', () => {
		const rate = new AdaptiveRate(5, Infinity, 0, 0.1);
		for (let t = 100; t < 10_000; t += 100) rate.onAccepted(t, false);
		expect(rate.value).toBe(5);
	});

	it('leaving slow start, lands at 90 % of the last second of answers (the rest was burst), as a guess', () => {
		const rate = new AdaptiveRate(20, Infinity, 0, 0.1);
		// 25 answers in the last second, the rate still doubling: 20/s plus a burst of 5.
		for (let i = 0; i < 25; i++) rate.onAccepted(1_000 + i * 40);
		rate.onRateLimited(2_000, 1_990);
		expect(rate.learnedCeiling).toBeCloseTo(22.5, 9);
		// Part of that second may have been below the limit: a guess, not a measurement.
		expect(rate.ceilingMeasured).toBe(false);
		expect(rate.value).toBeCloseTo(22.5 * 0.95, 9);
	});

	it('climbs past a ceiling guessed where slow start ended, and measures it on the next 429', () => {
		// Work arrived slowly at first (n8n starting executions): 25 answers in the second before the
		// first 429, for a limit of 30/s.
		const rate = new AdaptiveRate(20, Infinity, 0, 0.1);
		for (let i = 0; i < 25; i++) rate.onAccepted(1_000 + i * 40);
		rate.onRateLimited(2_000, 1_990); // ceiling 22.5 (a guess), rate 21.375
		rate.onPaused(2_000, 3_000); // Retry-After: 1
		// Until 1.5 s after the pause only the probe (0.1 % of 22.5 a second; the last answer at 4,400 ms)…
		let t = 3_000;
		for (; t < 4_500; t += 100) rate.onAccepted(t);
		const held = 21.375 + 22.5 * 0.001 * 2.4;
		expect(rate.value).toBeCloseTo(held, 9);
		// …then +20 % a second past the guess: 2 % per 100 ms, eleven answers from 4,500 to 5,500 ms.
		for (; t <= 5_500; t += 100) rate.onAccepted(t);
		expect(rate.value).toBeCloseTo(held * 1.02 ** 11, 9);
		expect(rate.value).toBeGreaterThan(22.5);
		// At the limit for two seconds (30/s accepted), a 429: the window measures it.
		for (let i = 1; i <= 60; i++) rate.onAccepted(t + i * (1_000 / 30));
		t += 2_000;
		rate.onRateLimited(t, t - 10);
		expect(rate.ceilingMeasured).toBe(true);
		expect(rate.learnedCeiling).toBeCloseTo(30, 9);
		expect(rate.value).toBeCloseTo(30 * 0.95, 9);
	});

	it('adopts an announced rate at once, above the starting rate too, never above the maximum', () => {
		const rate = new AdaptiveRate(5, Infinity, 0, 0.1);
		rate.adopt(98);
		expect(rate.value).toBe(98);
		expect(rate.learnedCeiling).toBe(98);
		const capped = new AdaptiveRate(5, 50, 0, 0.1);
		capped.adopt(98);
		expect(capped.value).toBe(50);
	});

	it('climbs fast past a guessed ceiling (a cut on too few answers) 1.5 s after the 429 and its pause', () => {
		const rate = new AdaptiveRate(40, 40, 0, 0.1);
		rate.onRateLimited(0, 0); // no answers: halving, a guess
		expect(rate.ceilingMeasured).toBe(false);
		expect(rate.value).toBe(19);
		rate.onPaused(0, 2_000); // Retry-After: 2
		for (let t = 2_000; t < 3_500; t += 100) rate.onAccepted(t);
		expect(rate.value).toBeCloseTo(19 + 20 * 0.001 * 3.4, 9); // held: the probe alone
		for (let t = 3_500; t <= 8_000; t += 100) rate.onAccepted(t);
		expect(rate.value).toBeGreaterThan(35); // +20 % a second
	});

	it('after a quiet spell, what was learned is a guess again', () => {
		const rate = new AdaptiveRate(100, 100, 0, 0.1);
		for (let t = 0; t < 2_000; t += 20) rate.onAccepted(t);
		rate.onRateLimited(2_000, 1_990);
		expect(rate.ceilingMeasured).toBe(true);
		rate.relaxIfQuiet(2_000 + QUIET_MS);
		expect(rate.ceilingMeasured).toBe(false);
	});
});

describe('AdaptiveRate shared between workers (snapshot / restore)', () => {
	it('hands its whole state over, times moved into the store clock and back', () => {
		const a = new AdaptiveRate(100, 100, 0, 0.1);
		let t = acceptEvery(a, 0, 2_000, 20); // 50/s accepted
		a.onRateLimited(t, t - 10); // ceiling 50, rate 47.5, decrease at t
		a.onPaused(t, t + 1_000);
		const snapshot = a.snapshot(1_000_000); // the store's clock is 1,000 s ahead
		expect(snapshot).toEqual({
			rate: 47.5,
			ceiling: 50,
			measured: true,
			lastLoss: 1_002_000,
			lastSlowStartStep: null, // never in slow start: the configured rate was never rate-bound
			lastUpdate: 1_002_000,
			lastDecrease: 1_002_000,
			resumedAt: 1_003_000,
			clearedAt: 1_002_000,
			burst: 0,
			foundAfterPause: false,
			firstEventAt: 1_002_000,
		});
		// Another worker takes it; from here both decide alike on the same answers.
		const b = new AdaptiveRate(5, 100, 0, 0.1);
		b.restore(JSON.parse(JSON.stringify(snapshot)), 1_000_000);
		expect(b.snapshot()).toEqual(a.snapshot());
		for (const rate of [a, b]) {
			t = acceptEvery(rate, 3_000, 6_000, 25);
			rate.onRateLimited(6_000, 5_990); // a new event: measured on what both accepted
		}
		expect(b.value).toBe(a.value);
		expect(b.learnedCeiling).toBe(a.learnedCeiling);
		// A 429 of the event that lowered the shared rate is not counted again by the other worker.
		const c = new AdaptiveRate(100, 100, 0, 0.1);
		c.restore(a.snapshot());
		c.onRateLimited(6_100, 5_500);
		expect(c.value).toBe(a.value);
	});

	it("keeps its own explicit maximum over another worker's rate", () => {
		const a = new AdaptiveRate(40, Infinity, 0, 0.1);
		const b = new AdaptiveRate(10, 10, 0, 0.1);
		b.restore(a.snapshot());
		expect(b.value).toBe(10);
	});
});
