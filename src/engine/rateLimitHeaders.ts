/**
 * Reads what a system says about its rate limit, in every dialect of DESIGN §4:
 * `Retry-After` (RFC 9110 §10.2.3: delay-seconds or HTTP-date), IETF draft-ietf-httpapi-ratelimit-
 * headers-10 (`RateLimit-Policy: "default";q=100;w=10`, `RateLimit: "default";r=0;t=30`), the older
 * drafts' `RateLimit-Limit/-Remaining/-Reset`, and `X-RateLimit-Limit/-Remaining/-Reset`.
 */

export interface RateLimitSignal {
	/** From `Retry-After`: wait this long before the next request to this system. Wins over the rest. */
	retryAfterMs?: number;
	/** Requests left in the current window, and when the window resets (ms from now). */
	remaining?: number;
	resetMs?: number;
	/** The sustained rate the system announces (quota ÷ window), requests per second. */
	announcedRatePerSecond?: number;
}

/** Values above this are epoch seconds, below it delta seconds (DESIGN §4; 10^9 s ≈ 2001). */
const EPOCH_THRESHOLD = 1e9;

/**
 * `Retry-After`: delay-seconds must be digits only (`Date.parse('120')` is the year 120), else an
 * HTTP-date. A date in the past means "now" (0). Anything else is ignored.
 */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
	if (value === undefined) return undefined;
	const trimmed = value.trim();
	if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
	if (!/[a-z]/i.test(trimmed)) return undefined; // "1.5", "-3": neither form
	const at = Date.parse(trimmed);
	if (Number.isNaN(at)) return undefined;
	return Math.max(0, at - nowMs);
}

/** A structured-field item's parameters: `"default";r=0;t=30` → { r: '0', t: '30' } (first item). */
function sfParameters(value: string | undefined): Record<string, string> | undefined {
	if (value === undefined) return undefined;
	const firstItem = value.split(',')[0];
	const params: Record<string, string> = {};
	for (const part of firstItem.split(';').slice(1)) {
		const [key, raw] = part.split('=');
		if (key && raw !== undefined) params[key.trim()] = raw.trim();
	}
	return params;
}

function nonNegativeNumber(value: string | undefined): number | undefined {
	if (value === undefined || !/^\d+(\.\d+)?$/.test(value.trim())) return undefined;
	return Number(value.trim());
}

/** Seconds until reset, from a value that may be epoch seconds or delta seconds. */
function resetFrom(value: string | undefined, nowMs: number): number | undefined {
	const n = nonNegativeNumber(value);
	if (n === undefined) return undefined;
	return n > EPOCH_THRESHOLD ? Math.max(0, n * 1000 - nowMs) : n * 1000;
}

/** `headers` must have lower-case names (the transport contract guarantees it). */
export function readRateLimit(
	headers: Readonly<Record<string, string>>,
	nowMs: number,
): RateLimitSignal {
	const signal: RateLimitSignal = {};
	const retryAfter = parseRetryAfter(headers['retry-after'], nowMs);
	if (retryAfter !== undefined) signal.retryAfterMs = retryAfter;

	const policy = sfParameters(headers['ratelimit-policy']);
	const quota = nonNegativeNumber(policy?.q);
	const window = nonNegativeNumber(policy?.w);
	if (quota !== undefined && quota > 0 && window !== undefined && window > 0)
		signal.announcedRatePerSecond = quota / window;

	const draft = sfParameters(headers.ratelimit);
	const remaining =
		nonNegativeNumber(draft?.r) ??
		nonNegativeNumber(headers['ratelimit-remaining']) ??
		nonNegativeNumber(headers['x-ratelimit-remaining']);
	const resetMs =
		(draft?.t !== undefined ? resetFrom(draft.t, nowMs) : undefined) ??
		resetFrom(headers['ratelimit-reset'], nowMs) ??
		resetFrom(headers['x-ratelimit-reset'], nowMs);
	if (remaining !== undefined) signal.remaining = remaining;
	if (resetMs !== undefined) signal.resetMs = resetMs;
	return signal;
}

/** How long the whole system must pause after this answer, if at all (`Retry-After` first). */
export function pauseFrom(signal: RateLimitSignal): number | undefined {
	if (signal.retryAfterMs !== undefined) return signal.retryAfterMs;
	if (signal.remaining === 0 && signal.resetMs !== undefined) return signal.resetMs;
	return undefined;
}
