/**
 * The pause part: what a system's rate-limit headers ask of the whole system after one answer
 * (DESIGN §4) — pause until a time (`Retry-After`, or remaining 0 with a reset), fail fast until a
 * time beyond any sane wait (a quota), or hold no more tokens than the window has left.
 */
import { pauseFrom, readRateLimit } from '../rateLimitHeaders';

export type PauseDecision =
	/** Send nothing to the system until `until`; then resume paced. */
	| { kind: 'pause'; until: number }
	/** A pause beyond the cap: the system's remaining pairs fail fast until `until`. */
	| { kind: 'quota'; until: number; reason: string }
	/** Only `remaining` more requests fit in the system's current window. */
	| { kind: 'remaining'; remaining: number }
	| { kind: 'none' };

export interface HeaderReading {
	/** The sustained rate the system announces (requests per second), if it does. */
	announcedRatePerSecond?: number;
	decision: PauseDecision;
}

/**
 * `overload`: the answer was a 429 or an overloaded 503 (its `Retry-After` pauses); on any other
 * answer only "remaining 0 with a reset" pauses. "0 left, resets in 0 s" is no pause: pacing waits
 * for the next token instead.
 */
export function readPause(
	headers: Readonly<Record<string, string>>,
	overload: boolean,
	now: number,
	maxPauseMs: number,
): HeaderReading {
	const signal = readRateLimit(headers, now);
	const announced =
		signal.announcedRatePerSecond !== undefined
			? { announcedRatePerSecond: signal.announcedRatePerSecond }
			: {};
	const pause = overload || signal.remaining === 0 ? pauseFrom(signal) : undefined;
	if (pause !== undefined && pause > maxPauseMs) {
		const until = now + pause;
		return {
			...announced,
			decision: {
				kind: 'quota',
				until,
				reason: `rate-limited until ${new Date(until).toISOString()}`,
			},
		};
	}
	if (pause !== undefined && pause > 0)
		return { ...announced, decision: { kind: 'pause', until: now + pause } };
	if (signal.remaining !== undefined)
		return { ...announced, decision: { kind: 'remaining', remaining: signal.remaining } };
	return { ...announced, decision: { kind: 'none' } };
}

/**
 * Why an answer paused its system, one line for progress lines and the report — from the parsed
 * headers, never their raw text: "429 with Retry-After 3 s". `status`: the overload answer's status.
 */
export function pauseReason(
	headers: Readonly<Record<string, string>>,
	status: number | undefined,
	now: number,
): string {
	const signal = readRateLimit(headers, now);
	const seconds = (ms: number): string => `${Number((ms / 1000).toFixed(1))} s`;
	const asked =
		signal.retryAfterMs !== undefined
			? `Retry-After ${seconds(signal.retryAfterMs)}`
			: `no requests left until the limit resets in ${seconds(signal.resetMs ?? 0)}`;
	return status === undefined ? asked : `${status} with ${asked}`;
}
