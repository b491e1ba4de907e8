/**
 * Verify Webhook Signature inside n8n-core's WorkflowExecute, fed items shaped as n8n 2.40's Webhook
 * node makes them with Raw Body on (`json.headers` lower-cased, the body's bytes in binary `data`).
 */
import type { ICredentialTestFunctions, INodeExecutionData } from 'n8n-workflow';
import { WebhookSigningSecretApi } from '../../credentials/WebhookSigningSecretApi.credentials';
import { VerifyWebhookSignature } from '../../nodes/VerifyWebhookSignature/VerifyWebhookSignature.node';
import { processLimiters } from '../../src/engine/limiter';
import { signedHeaders } from '../../src/signature';
import { runNode } from '../support/n8n';

const SECRET = 'a-signing-secret-of-forty-characters-xyz';

beforeEach(() => processLimiters.clear());

/** A Webhook node item (Raw Body on): headers as Node gives them, the exact bytes as binary. */
function webhookItem(body: string, headers: Record<string, string>): INodeExecutionData {
	return {
		json: {
			headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])),
			params: {},
			query: {},
			body: JSON.parse(body) as object,
		},
		binary: {
			data: { data: Buffer.from(body).toString('base64'), mimeType: 'application/json' },
		},
	};
}

function signedItem(body: string, secret = SECRET, now = Date.now()): INodeExecutionData {
	return webhookItem(body, {
		'Content-Type': 'application/json',
		...signedHeaders(secret, body, now),
	});
}

async function verify(items: INodeExecutionData[], secret = SECRET) {
	return await runNode({
		nodeType: new VerifyWebhookSignature(),
		credentialTypes: { webhookSigningSecretApi: new WebhookSigningSecretApi() },
		credentials: { webhookSigningSecretApi: { secret } },
		items,
		parameters: { rawBodyField: 'data' },
	});
}

describe('Verify Webhook Signature node', () => {
	it('passes a signed request on to Verified, unchanged and paired', async () => {
		const item = signedItem('{"requestId":"REQ-1","email":"ann@example.com"}');
		const { run, outputs } = await verify([item]);
		expect(run.data.resultData.error).toBeUndefined();
		expect(outputs).toEqual([[{ ...item, pairedItem: { item: 0 } }], []]);
	});

	it('sends each refusal to Refused with its reason only, paired to its input', async () => {
		const body = '{"requestId":"REQ-2"}';
		const good = signedItem(body);
		const items = [
			good,
			signedItem(body, 'another-secret-another-secret-another'),
			good, // the same timestamp, body and signature again
			webhookItem(body, { 'x-timestamp': String(Math.floor(Date.now() / 1000)) }),
			signedItem(body, SECRET, Date.now() - 6 * 60_000),
		];
		const { outputs } = await verify(items);
		expect(outputs[0]).toEqual([{ ...good, pairedItem: { item: 0 } }]);
		expect(outputs[1].map((item) => [item.pairedItem, item.json])).toEqual([
			[{ item: 1 }, { reason: 'signature does not match' }],
			[{ item: 2 }, { reason: 'already used: a replayed request' }],
			[{ item: 3 }, { reason: 'missing X-Signature header' }],
			[
				{ item: 4 },
				{ reason: expect.stringMatching(/^timestamp outside the 5-minute window \(36\d s old\)$/) },
			],
		]);
		expect(outputs[1].every((item) => item.binary === undefined)).toBe(true);
	});

	it('verifies the bytes sent, not the JSON n8n parsed from them', async () => {
		const sent = '{ "requestId" : "REQ-3" }';
		const item = signedItem(sent);
		// Same parsed JSON, other bytes: a signature over re-serialised JSON would wrongly pass here.
		const reserialised = {
			...item,
			binary: {
				data: {
					data: Buffer.from('{"requestId":"REQ-3"}').toString('base64'),
					mimeType: 'application/json',
				},
			},
		};
		const { outputs } = await verify([reserialised]);
		expect(outputs[1].map((i) => i.json)).toEqual([{ reason: 'signature does not match' }]);
	});

	it("fails with what to do when the Webhook node's Raw Body option is off", async () => {
		const item = signedItem('{"a":1}');
		delete item.binary;
		const { run } = await verify([item]);
		expect(run.data.resultData.error?.message).toBe('The item has no raw body in "data"');
		expect(run.data.resultData.error?.description).toBe(
			"Turn on the Webhook node's Raw Body option (Options → Raw Body): the signature is over the exact bytes sent, never over re-serialised JSON",
		);
	});

	it('fails when the item does not come from a Webhook node', async () => {
		const { run } = await verify([{ json: { email: 'ann@example.com' } }]);
		expect(run.data.resultData.error?.message).toBe('The item has no request headers');
	});

	it('never puts the secret in an output or an error', async () => {
		const body = '{"a":1}';
		const { run } = await verify([signedItem(body), signedItem(body, 'x'), webhookItem(body, {})]);
		expect(JSON.stringify(run)).not.toContain(SECRET);
		const failed = await verify([{ json: {} }]);
		expect(JSON.stringify(failed.run)).not.toContain(SECRET);
	});
});

describe('Webhook Signing Secret API credential test', () => {
	const test = new VerifyWebhookSignature().methods.credentialTest.webhookSigningSecretTest;
	const run = async (secret: string) =>
		await test.call({} as ICredentialTestFunctions, {
			id: 'c',
			name: 'c',
			type: 'webhookSigningSecretApi',
			data: { secret },
		});

	it('accepts a secret of 32 characters or more, without echoing it', async () => {
		expect(await run(SECRET)).toEqual({ status: 'OK', message: 'A 40-character signing secret' });
	});

	it('refuses a short secret, saying how to make a good one', async () => {
		expect(await run('short-secret')).toEqual({
			status: 'Error',
			message:
				'The secret has 12 characters; use at least 32 random ones (e.g. openssl rand -base64 32)',
		});
	});
});
