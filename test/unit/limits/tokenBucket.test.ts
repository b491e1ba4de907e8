import {
	capTokens,
	msUntilToken,
	pacedFrom,
	takeToken,
} from '../../../src/engine/limits/tokenBucket';

describe('token bucket (the rate part)', () => {
	it('gives a whole token at once, then one every 1/rate', () => {
		let state = { tokens: 1, at: 0 };
		const first = takeToken(state, 0, 10, 1);
		expect(first.waitMs).toBe(0);
		state = first.state;
		expect(state.tokens).toBe(0);
		expect(takeToken(state, 0, 10, 1).waitMs).toBe(100);
		expect(takeToken(state, 60, 10, 1).waitMs).toBe(40);
		const later = takeToken(state, 100, 10, 1);
		expect(later).toEqual({ state: { tokens: 0, at: 100 }, waitMs: 0 });
	});

	it('holds no more than its burst however long it waited', () => {
		const state = takeToken({ tokens: 0, at: 0 }, 3_600_000, 10, 2).state;
		expect(state.tokens).toBe(1); // 2 at most, one taken
	});

	it('counts a float refill a hair under one as a whole token (0.1 × 10)', () => {
		let state = { tokens: 0, at: 0 };
		for (let i = 1; i <= 10; i++) state = { tokens: state.tokens + 0.1, at: i };
		expect(msUntilToken(state, 10, 1)).toBe(0);
	});

	it('after a pause, holds at most one token, from the end of the pause on', () => {
		const paused = pacedFrom({ tokens: 5, at: 0 }, 0, 10, 5, 1_000);
		expect(paused).toEqual({ tokens: 1, at: 1_000 });
		// During the pause nothing refills; right after it one token, then paced.
		expect(msUntilToken({ tokens: 0, at: 1_000 }, 500, 10)).toBe(600);
		const resumed = takeToken(paused, 1_000, 10, 5);
		expect(resumed.waitMs).toBe(0);
		expect(takeToken(resumed.state, 1_000, 10, 5).waitMs).toBe(100);
	});

	it('never holds more tokens than the system says remain', () => {
		expect(capTokens({ tokens: 4, at: 0 }, 0, 10, 5, 2)).toEqual({ tokens: 2, at: 0 });
		expect(capTokens({ tokens: 1, at: 0 }, 0, 10, 5, 3)).toEqual({ tokens: 1, at: 0 });
	});
});
