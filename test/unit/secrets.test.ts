import { redact, redactingTransport, REDACTED } from '../../src/secrets';
import { TransportError, type Transport } from '../../src/transport/types';

describe('redact', () => {
	it('removes a secret as is, JSON-escaped and percent-encoded', () => {
		const secret = 'pb_"key"/+1';
		const text = `raw ${secret} json ${JSON.stringify(secret)} url ${encodeURIComponent(secret)}`;
		expect(redact(text, [secret])).toBe(`raw ${REDACTED} json "${REDACTED}" url ${REDACTED}`);
	});

	it('ignores empty secrets', () => {
		expect(redact('abc', ['', 'b'])).toBe(`a${REDACTED}c`);
	});
});

describe('redactingTransport', () => {
	it('scrubs bodies, headers and transport error messages', async () => {
		const answer: Transport = {
			send: async () => ({
				status: 422,
				headers: { 'x-echo': 'tok_1' },
				body: '{"input":{"api_key":"tok_1"}}',
			}),
		};
		await expect(
			redactingTransport(answer, () => ['tok_1']).send({
				method: 'GET',
				url: 'http://x',
				headers: {},
				timeoutMs: 1,
			}),
		).resolves.toEqual({
			status: 422,
			headers: { 'x-echo': REDACTED },
			body: `{"input":{"api_key":"${REDACTED}"}}`,
		});
		const failing: Transport = {
			send: async () => {
				throw new TransportError('connection', 'socket hang up near tok_1', 'ECONNRESET');
			},
		};
		const error = await redactingTransport(failing, () => ['tok_1'])
			.send({ method: 'GET', url: 'http://x', headers: {}, timeoutMs: 1 })
			.catch((e: unknown) => e);
		expect(error).toEqual(
			new TransportError('connection', `socket hang up near ${REDACTED}`, 'ECONNRESET'),
		);
		expect((error as TransportError).kind).toBe('connection');
	});
});
