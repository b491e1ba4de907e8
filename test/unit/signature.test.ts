/**
 * The signed-webhook scheme: known-answer vectors computed once with openssl, e.g.
 *   printf '%s' '1700000000.{"a":1}' | openssl dgst -sha256 -hmac 'the-secret'
 * then the window's edges, the replay memory and every refusal's reason.
 */
import { MemoryLimitStore } from '../../src/engine/limits/store';
import {
	REPLAY_MEMORY_MS,
	type SignatureVerdict,
	signatureOf,
	signedHeaders,
	verifySignature,
} from '../../src/signature';
import { VirtualClock } from '../support/virtualClock';

const SECRET = 'the-secret';
const TS = 1_700_000_000;
const BODY = '{"a":1}';
/** openssl: '1700000000.{"a":1}' */
const KNOWN_BODY = 'sha256=24741b61475748707d7fc7e9c5f423eac0a3a233d1e1550431cf34761ca3438e';
/** openssl: '1700000000.' (empty body) */
const KNOWN_EMPTY = 'sha256=074374db46f1ce56a43057687afa16e22cb7d5d37644563c3a49da54b0339add';
/** openssl: printf '1700000000.\xc3\xa9\x00\xff' (bytes that are not all valid UTF-8) */
const KNOWN_BYTES = 'sha256=5369ea61cbf22afa522044da5aeccc72a7ee2ef32467baf3311293f73d8312ad';
/** openssl: '1700000000.{"a": 1}' — the same JSON value, other bytes */
const KNOWN_SPACED = 'sha256=220929dd3aa1f49c3ac192e090ccdb850c75fe3745788ec16b3c38b6afe5d13b';

let store: MemoryLimitStore;
beforeEach(() => {
	store = new MemoryLimitStore(new VirtualClock());
});

function headers(timestamp: string, signature: string): Record<string, unknown> {
	return { 'content-type': 'application/json', 'x-timestamp': timestamp, 'x-signature': signature };
}

async function verify(
	requestHeaders: Record<string, unknown>,
	options: { body?: Buffer | string; now?: number; secret?: string } = {},
): Promise<SignatureVerdict> {
	const body = options.body ?? BODY;
	return await verifySignature(
		{ headers: requestHeaders, rawBody: typeof body === 'string' ? Buffer.from(body) : body },
		{
			secret: options.secret ?? SECRET,
			now: options.now ?? TS * 1000,
			claimOnce: (key, ttl) => store.claimOnce(key, ttl),
		},
	);
}

describe('signatureOf: known answers (openssl)', () => {
	it('signs "<timestamp>.<body>"', () => {
		expect(signatureOf(SECRET, String(TS), BODY)).toBe(KNOWN_BODY);
		expect(signatureOf(SECRET, String(TS), Buffer.from(BODY))).toBe(KNOWN_BODY);
	});

	it('signs an empty body and raw bytes exactly as sent', () => {
		expect(signatureOf(SECRET, String(TS), '')).toBe(KNOWN_EMPTY);
		expect(signatureOf(SECRET, String(TS), Buffer.from([0xc3, 0xa9, 0x00, 0xff]))).toBe(
			KNOWN_BYTES,
		);
		expect(signatureOf(SECRET, String(TS), '{"a": 1}')).toBe(KNOWN_SPACED);
	});

	it('signedHeaders: whole seconds of now, and the signature of those seconds', () => {
		expect(signedHeaders(SECRET, BODY, TS * 1000 + 999)).toEqual({
			'X-Timestamp': '1700000000',
			'X-Signature': KNOWN_BODY,
		});
	});
});

describe('verifySignature', () => {
	it('accepts the known signature of the exact bytes', async () => {
		expect(await verify(headers(String(TS), KNOWN_BODY))).toEqual({ verified: true });
	});

	it('accepts raw bytes that are not valid UTF-8, signed as bytes', async () => {
		const body = Buffer.from([0xc3, 0xa9, 0x00, 0xff]);
		expect(await verify(headers(String(TS), KNOWN_BYTES), { body })).toEqual({ verified: true });
	});

	it('refuses the same JSON value re-serialised (other bytes)', async () => {
		expect(await verify(headers(String(TS), KNOWN_BODY), { body: '{"a": 1}' })).toEqual({
			verified: false,
			reason: 'signature does not match',
		});
	});

	it('refuses another secret, another timestamp, another body', async () => {
		const mismatch = { verified: false, reason: 'signature does not match' };
		expect(await verify(headers(String(TS), KNOWN_BODY), { secret: 'other' })).toEqual(mismatch);
		expect(await verify(headers(String(TS + 1), KNOWN_BODY))).toEqual(mismatch);
		expect(await verify(headers(String(TS), KNOWN_BODY), { body: '{"a":2}' })).toEqual(mismatch);
	});

	it('accepts exactly 5 minutes either side of now; refuses 1 ms more', async () => {
		const atEdge = (now: number) => verify(headers(String(TS), KNOWN_BODY), { now });
		expect(await atEdge((TS + 300) * 1000 + 1)).toEqual({
			verified: false,
			reason: 'timestamp outside the 5-minute window (300 s old)',
		});
		expect(await atEdge((TS - 300) * 1000 - 1)).toEqual({
			verified: false,
			reason: 'timestamp outside the 5-minute window (300 s in the future)',
		});
		expect(await atEdge((TS + 300) * 1000)).toEqual({ verified: true });
		store.clear(); // the same signature again, at the other edge
		expect(await atEdge((TS - 300) * 1000)).toEqual({ verified: true });
	});

	it('refuses a timestamp 6 minutes old, saying how old', async () => {
		expect(await verify(headers(String(TS), KNOWN_BODY), { now: (TS + 360) * 1000 })).toEqual({
			verified: false,
			reason: 'timestamp outside the 5-minute window (360 s old)',
		});
	});

	it('refuses a replay: the same timestamp, body and signature a second time', async () => {
		expect(await verify(headers(String(TS), KNOWN_BODY))).toEqual({ verified: true });
		expect(await verify(headers(String(TS), KNOWN_BODY), { now: TS * 1000 + 5_000 })).toEqual({
			verified: false,
			reason: 'already used: a replayed request',
		});
	});

	it('remembers an accepted signature for as long as its timestamp can be in the window', async () => {
		expect(REPLAY_MEMORY_MS).toBe(600_000);
		expect(await verify(headers(String(TS), KNOWN_BODY), { now: (TS - 300) * 1000 })).toEqual({
			verified: true,
		});
		expect(await verify(headers(String(TS), KNOWN_BODY), { now: (TS + 300) * 1000 })).toEqual({
			verified: false,
			reason: 'already used: a replayed request',
		});
	});

	it('claims nothing for a refused request: the genuine one still passes afterwards', async () => {
		expect(await verify(headers(String(TS), KNOWN_BODY), { secret: 'other' })).toMatchObject({
			verified: false,
		});
		expect(await verify(headers(String(TS), KNOWN_BODY))).toEqual({ verified: true });
	});

	it('refuses a wrong-length signature without throwing', async () => {
		const short = KNOWN_BODY.slice(0, -2);
		const long = `${KNOWN_BODY}00`;
		for (const signature of [short, long, 'sha256=', 'sha256=00'])
			expect(await verify(headers(String(TS), signature))).toEqual({
				verified: false,
				reason: 'signature does not match',
			});
	});

	it('refuses a malformed signature: no prefix, uppercase, odd length, not hex', async () => {
		const malformed = {
			verified: false,
			reason: 'X-Signature must be "sha256=" and lowercase hex digits',
		};
		for (const signature of [
			KNOWN_BODY.slice('sha256='.length),
			KNOWN_BODY.toUpperCase(),
			`sha256=${KNOWN_BODY.slice(7).toUpperCase()}`,
			`${KNOWN_BODY}0`,
			`sha1=${KNOWN_BODY.slice(7)}`,
			`sha256=${'zz'.repeat(32)}`,
		])
			expect(await verify(headers(String(TS), signature))).toEqual(malformed);
	});

	it('refuses missing headers, naming the one missing', async () => {
		expect(await verify({ 'x-timestamp': String(TS) })).toEqual({
			verified: false,
			reason: 'missing X-Signature header',
		});
		expect(await verify({ 'x-signature': KNOWN_BODY })).toEqual({
			verified: false,
			reason: 'missing X-Timestamp header',
		});
		expect(await verify(headers(String(TS), ''))).toEqual({
			verified: false,
			reason: 'missing X-Signature header',
		});
	});

	it('refuses a timestamp that is not whole Unix seconds', async () => {
		for (const timestamp of [
			'abc',
			'1700000000.5',
			'-1700000000',
			'1.7e9',
			'0x6553f100',
			'17000000000000',
		])
			expect(await verify(headers(timestamp, KNOWN_BODY))).toEqual({
				verified: false,
				reason: 'X-Timestamp must be whole Unix seconds',
			});
	});

	it('refuses a header sent twice (Node gives an array)', async () => {
		expect(await verify(headers(String(TS), [KNOWN_BODY, KNOWN_BODY] as never))).toEqual({
			verified: false,
			reason: 'X-Signature header must be sent once',
		});
	});

	it('never puts the secret or a header value in a reason', async () => {
		const reasons: string[] = [];
		for (const [h, now] of [
			[headers(String(TS), KNOWN_BODY), (TS + 999) * 1000],
			[headers(String(TS), `sha256=${'0'.repeat(64)}`), TS * 1000],
			[headers('abc', KNOWN_BODY), TS * 1000],
			[headers(String(TS), KNOWN_BODY.toUpperCase()), TS * 1000],
		] as const) {
			const verdict = await verify(h, { now });
			if (!verdict.verified) reasons.push(verdict.reason);
		}
		expect(reasons).toHaveLength(4);
		for (const reason of reasons) {
			expect(reason).not.toContain(SECRET);
			expect(reason).not.toContain(KNOWN_BODY.slice(7, 20));
		}
	});
});
