/**
 * Signed webhook requests (Stripe-style "t.body"): the caller sends `X-Timestamp: <unix seconds>` and
 * `X-Signature: sha256=<lowercase hex>`, the hex being HMAC-SHA256(secret, "<timestamp>.<raw body>").
 * Unlike a header key, the secret never travels, so n8n storing request headers stores no secret;
 * the timestamp window and a one-time claim on each signature refuse a replayed request.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const TIMESTAMP_HEADER = 'X-Timestamp';
export const SIGNATURE_HEADER = 'X-Signature';
/** A request is accepted this long either side of its timestamp (clock skew plus delivery time). */
export const SIGNATURE_WINDOW_MS = 5 * 60_000;
/**
 * How long an accepted signature is remembered: as long as its timestamp can be in the window.
 * A signature whose timestamp has left the window is refused by the window itself.
 */
export const REPLAY_MEMORY_MS = 2 * SIGNATURE_WINDOW_MS;

const SIGNATURE_PREFIX = 'sha256=';
const HEX = /^[0-9a-f]*$/;
const UNIX_SECONDS = /^[0-9]{1,12}$/;
const SHA256_BYTES = 32;

/** `sha256=<hex>` of HMAC-SHA256(secret, "<timestamp>.<body>"), over the body's exact bytes. */
export function signatureOf(secret: string, timestamp: string, body: Buffer | string): string {
	const hmac = createHmac('sha256', secret);
	hmac.update(`${timestamp}.`, 'utf8');
	hmac.update(typeof body === 'string' ? Buffer.from(body, 'utf8') : body);
	return `${SIGNATURE_PREFIX}${hmac.digest('hex')}`;
}

/** The two headers a caller sends with `body` at `nowMs` (what the README's curl snippet makes). */
export function signedHeaders(
	secret: string,
	body: Buffer | string,
	nowMs: number,
): Record<typeof TIMESTAMP_HEADER | typeof SIGNATURE_HEADER, string> {
	const timestamp = String(Math.floor(nowMs / 1000));
	return {
		[TIMESTAMP_HEADER]: timestamp,
		[SIGNATURE_HEADER]: signatureOf(secret, timestamp, body),
	};
}

/** Why a request is refused: says which check failed, never a header's value or the secret. */
export interface Refusal {
	verified: false;
	reason: string;
}
export type SignatureVerdict = { verified: true } | Refusal;

export interface SignedRequest {
	/** Request headers with lower-cased names, as Node (and n8n's Webhook node) give them. */
	headers: Readonly<Record<string, unknown>>;
	/** The body exactly as received, never re-serialised. */
	rawBody: Buffer;
}

export interface VerifyOptions {
	secret: string;
	/** Now, in ms since the epoch (injected: tests run on a fixed clock). */
	now: number;
	/** The shared replay memory (`LimitStore.claimOnce`): true the first time a key is claimed. */
	claimOnce(key: string, ttlMs: number): Promise<boolean>;
}

const refused = (reason: string): Refusal => ({ verified: false, reason });

/** One header's value, or why it cannot be used. Never echoes a value (it is the caller's). */
function headerValue(
	headers: SignedRequest['headers'],
	name: string,
): { value: string } | { reason: string } {
	const value = headers[name.toLowerCase()];
	if (value === undefined || value === '') return { reason: `missing ${name} header` };
	// Node joins a repeated custom header with ", " or gives an array: either way, not one value.
	if (typeof value !== 'string') return { reason: `${name} header must be sent once` };
	return { value: value.trim() };
}

/**
 * Checks the headers, the window and the HMAC (in constant time); only then claims the signature,
 * so a request that fails any check never uses the replay memory.
 */
export async function verifySignature(
	request: SignedRequest,
	options: VerifyOptions,
): Promise<SignatureVerdict> {
	const checked = checkSignature(request, options.secret, options.now);
	if (!checked.verified) return checked;
	// Keyed by a hash of the signature: the key says nothing about the secret or the request.
	const key = `webhook-signature:${createHash('sha256').update(checked.signature).digest('hex')}`;
	if (!(await options.claimOnce(key, REPLAY_MEMORY_MS)))
		return refused('already used: a replayed request');
	return { verified: true };
}

/** Everything but the replay check: headers well-formed, timestamp in the window, HMAC matching. */
export function checkSignature(
	request: SignedRequest,
	secret: string,
	now: number,
): { verified: true; signature: Buffer } | Refusal {
	const timestamp = headerValue(request.headers, TIMESTAMP_HEADER);
	if ('reason' in timestamp) return refused(timestamp.reason);
	const signature = headerValue(request.headers, SIGNATURE_HEADER);
	if ('reason' in signature) return refused(signature.reason);

	if (!UNIX_SECONDS.test(timestamp.value))
		return refused(`${TIMESTAMP_HEADER} must be whole Unix seconds`);
	const ageSeconds = now / 1000 - Number(timestamp.value);
	if (Math.abs(ageSeconds) * 1000 > SIGNATURE_WINDOW_MS)
		return refused(
			ageSeconds > 0
				? `timestamp outside the 5-minute window (${Math.floor(ageSeconds)} s old)`
				: `timestamp outside the 5-minute window (${Math.floor(-ageSeconds)} s in the future)`,
		);

	const hex = signature.value.startsWith(SIGNATURE_PREFIX)
		? signature.value.slice(SIGNATURE_PREFIX.length)
		: undefined;
	if (hex === undefined || !HEX.test(hex) || hex.length % 2 !== 0)
		return refused(`${SIGNATURE_HEADER} must be "sha256=" and lowercase hex digits`);
	const given = Buffer.from(hex, 'hex');
	const expected = Buffer.from(
		signatureOf(secret, timestamp.value, request.rawBody).slice(SIGNATURE_PREFIX.length),
		'hex',
	);
	// timingSafeEqual throws on unequal lengths; the expected length is public (32 bytes).
	if (given.length !== SHA256_BYTES || !timingSafeEqual(given, expected))
		return refused('signature does not match');
	return { verified: true, signature: given };
}
