import {
	type ICredentialTestFunctions,
	type ICredentialsDecrypted,
	type IExecuteFunctions,
	type INodeCredentialTestResult,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
	NodeConnectionTypes,
	NodeOperationError,
} from 'n8n-workflow';
import { chooseLimitStore } from '../../src/n8n/limitStore';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifySignature } from '../../src/signature';

/** Shorter secrets are refused by the credential's Test (an HMAC key is as strong as its entropy). */
export const MIN_SECRET_LENGTH = 32;

/**
 * Lets through only webhook requests signed with the credential's secret (src/signature.ts), each
 * once: the Webhook node's item on *Verified*, or `{ reason }` on *Refused*, paired to its input.
 */
// Not an AI tool: it checks inbound webhook requests, there is nothing for an agent to ask it.
// eslint-disable-next-line @n8n/community-nodes/node-usable-as-tool -- see above; its autofix would add `usableAsTool: true`
export class VerifyWebhookSignature implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Verify Webhook Signature',
		name: 'verifyWebhookSignature',
		icon: 'file:../../icons/offboarding.svg',
		group: ['transform'],
		version: 1,
		subtitle: 'HMAC-SHA256, each request once',
		description:
			'Let through only webhook requests signed with a shared secret (HMAC-SHA256 of timestamp and raw body), each once, within 5 minutes',
		defaults: { name: 'Verify Webhook Signature' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main, NodeConnectionTypes.Main],
		outputNames: ['Verified', 'Refused'],
		credentials: [
			{ name: 'webhookSigningSecretApi', required: true, testedBy: 'webhookSigningSecretTest' },
		],
		properties: [
			{
				displayName: `Put this right after a Webhook node with Options → Raw Body on. Callers send ${TIMESTAMP_HEADER} (Unix seconds) and ${SIGNATURE_HEADER}: sha256=HMAC-SHA256(secret, "<timestamp>.<raw body>") in lowercase hex.`,
				name: 'notice',
				type: 'notice',
				default: '',
			},
			{
				displayName: 'Raw Body Field',
				name: 'rawBodyField',
				type: 'string',
				default: 'data',
				required: true,
				description:
					'The binary field holding the request body exactly as received: the Webhook node puts it in "data" when its Raw Body option is on',
			},
		],
	};

	methods = {
		credentialTest: {
			async webhookSigningSecretTest(
				this: ICredentialTestFunctions,
				credential: ICredentialsDecrypted,
			): Promise<INodeCredentialTestResult> {
				const secret = credential.data?.secret;
				const length = typeof secret === 'string' ? secret.length : 0;
				if (length < MIN_SECRET_LENGTH)
					return {
						status: 'Error',
						message: `The secret has ${length} characters; use at least ${MIN_SECRET_LENGTH} random ones (e.g. openssl rand -base64 32)`,
					};
				return { status: 'OK', message: `A ${length}-character signing secret` };
			},
		},
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		const { secret } = await this.getCredentials<{ secret?: unknown }>('webhookSigningSecretApi');
		if (typeof secret !== 'string' || secret === '')
			throw new NodeOperationError(
				this.getNode(),
				'The Webhook Signing Secret API credential is empty',
				{
					description: 'Set its Secret to the value the callers sign with',
				},
			);
		// The replay memory is shared where the limits are: n8n's Redis in queue mode (a replay may
		// reach another worker), else this process.
		const { limiters } = await chooseLimitStore(undefined);
		const verified: INodeExecutionData[] = [];
		const refused: INodeExecutionData[] = [];
		for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
			const item = items[itemIndex];
			const headers = item.json.headers;
			if (typeof headers !== 'object' || headers === null || Array.isArray(headers))
				throw new NodeOperationError(this.getNode(), 'The item has no request headers', {
					itemIndex,
					description:
						'Connect this node directly after the Webhook node that receives the request',
				});
			const field = this.getNodeParameter('rawBodyField', itemIndex) as string;
			if (!item.binary?.[field])
				throw new NodeOperationError(this.getNode(), `The item has no raw body in "${field}"`, {
					itemIndex,
					description:
						"Turn on the Webhook node's Raw Body option (Options → Raw Body): the signature is over the exact bytes sent, never over re-serialised JSON",
				});
			const rawBody = await this.helpers.getBinaryDataBuffer(itemIndex, field);
			const verdict = await verifySignature(
				{ headers: headers as Record<string, unknown>, rawBody },
				{
					secret,
					now: Date.now(),
					claimOnce: async (key, ttlMs) => await limiters.store.claimOnce(key, ttlMs),
				},
			);
			if (verdict.verified) verified.push({ ...item, pairedItem: { item: itemIndex } });
			else refused.push({ json: { reason: verdict.reason }, pairedItem: { item: itemIndex } });
		}
		return [verified, refused];
	}
}
