/**
 * The rate part: a token bucket (`ratePerSecond`, capacity `burst`) as plain state, so a store can
 * keep it in memory or in Redis and change it in one atomic step.
 */

export interface BucketState {
	tokens: number;
	/** When `tokens` was last brought up to date (ms, the store's clock). */
	at: number;
}

/** Float refills land a hair under 1 (0.1 × 10 = 0.9999…): within a microtoken counts as whole. */
const WHOLE = 1 - 1e-6;

export function refill(state: BucketState, now: number, rate: number, burst: number): BucketState {
	const elapsed = Math.max(0, now - state.at) / 1000;
	// A bucket whose `at` lies ahead (a pause that resumes paced) refills only from then on.
	if (now < state.at) return state;
	return { tokens: Math.min(burst, state.tokens + elapsed * rate), at: now };
}

/** How long until a whole token is there (0: now). */
export function msUntilToken(state: BucketState, now: number, rate: number): number {
	if (now < state.at) return state.at - now + msUntilToken({ ...state, at: now }, now, rate);
	if (state.tokens >= WHOLE) return 0;
	return Math.max(1, Math.ceil(((1 - state.tokens) / rate) * 1000 - 1e-6));
}

/** Takes one token if there is one: the new state, or how long to wait for it. */
export function takeToken(
	state: BucketState,
	now: number,
	rate: number,
	burst: number,
): { state: BucketState; waitMs: number } {
	const current = refill(state, now, rate, burst);
	const waitMs = msUntilToken(current, now, rate);
	if (waitMs > 0) return { state: current, waitMs };
	return { state: { tokens: current.tokens - 1, at: current.at }, waitMs: 0 };
}

/**
 * After a pause until `until`: at most one token then, so the system is paced back in rather than
 * handed a burst saved up during the pause (its own bucket refilled too).
 */
export function pacedFrom(
	state: BucketState,
	now: number,
	rate: number,
	burst: number,
	until: number,
): BucketState {
	const current = refill(state, now, rate, burst);
	return { tokens: Math.min(current.tokens, 1), at: Math.max(until, current.at) };
}

/** The system says only `remaining` more fit in its window: never hold more tokens than that. */
export function capTokens(
	state: BucketState,
	now: number,
	rate: number,
	burst: number,
	remaining: number,
): BucketState {
	const current = refill(state, now, rate, burst);
	return { tokens: Math.min(current.tokens, remaining), at: current.at };
}
