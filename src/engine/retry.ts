/**
 * Which answers are retried, and how long to wait: stated as data, as ky and got state theirs.
 * Backoff is "full jitter" from AWS's "Exponential Backoff and Jitter" (Marc Brooker, 2015):
 *   delay = random(0, min(maxDelay, baseDelay × 2^(attempt − 1)))
 * A `Retry-After` is not handled here: it pauses the whole system in the limiter, which wins.
 */
import type { VerdictKind } from '../systems/types';
import type { TransportErrorKind } from '../transport/types';

export interface RetrySettings {
	/** Requests per pair, the first included (not n8n's 5 tries / 5 s). */
	maxAttempts: number;
	/**
	 * Overload answers (a 429, a 503 that asks to slow down) per pair that do not use an attempt:
	 * the system is asking for time, not failing. Past these they count as attempts, so a pair's
	 * requests end after `maxAttempts + maxOverloadRetries` at most.
	 */
	maxOverloadRetries: number;
	baseDelayMs: number;
	maxDelayMs: number;
	/** Per-request deadline. */
	requestTimeoutMs: number;
}

export const DEFAULT_RETRY: RetrySettings = {
	maxAttempts: 5,
	maxOverloadRetries: 10,
	baseDelayMs: 500,
	maxDelayMs: 30_000,
	requestTimeoutMs: 15_000,
};

/** Answers worth asking again: the system may answer differently in a moment. */
export const RETRIED_KINDS: ReadonlySet<VerdictKind> = new Set<VerdictKind>([
	'rate_limited',
	'overloaded',
	'request_timeout',
	'server_error',
	'malformed_success',
]);

/** Answers that ask the client to slow down: retried, and not counted against `maxAttempts` at first. */
export const OVERLOAD_KINDS: ReadonlySet<string> = new Set<VerdictKind>([
	'rate_limited',
	'overloaded',
]);

/**
 * Answers that say nothing about the request itself — neither whether the credential was accepted
 * nor whether the scope exists: they may come from in front of the system's checks (a proxy, a
 * limiter) or never arrived. The credential and scope probes go on after them.
 */
export const INCONCLUSIVE_KINDS: ReadonlySet<string> = new Set<VerdictKind | 'transport_error'>([
	'rate_limited',
	'overloaded',
	'server_error',
	'request_timeout',
	'malformed_success',
	'transport_error',
]);

/**
 * Answers after which the removal may have happened without our knowing (the server may have acted
 * before failing). A later "not there" then means *removed*, confirmed after uncertainty.
 * 429 and 408 say the request was not processed.
 */
export const UNCERTAIN_KINDS: ReadonlySet<VerdictKind> = new Set<VerdictKind>([
	'server_error',
	'malformed_success',
]);

/**
 * Transport failures are all retried. A timeout or a dropped connection may have reached the system;
 * a refused connection never did.
 */
export function transportErrorIsUncertain(
	kind: TransportErrorKind,
	code: string | undefined,
): boolean {
	if (kind === 'aborted') return false;
	return !(kind === 'connection' && code === 'ECONNREFUSED');
}

/** Full-jitter exponential backoff before attempt `attempt + 1` (attempt ≥ 1). */
export function retryDelayMs(
	attempt: number,
	settings: RetrySettings,
	random: () => number,
): number {
	const ceiling = Math.min(settings.maxDelayMs, settings.baseDelayMs * 2 ** (attempt - 1));
	return Math.floor(random() * ceiling);
}
