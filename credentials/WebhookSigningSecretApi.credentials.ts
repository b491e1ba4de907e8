import type { ICredentialType, INodeProperties, Icon } from 'n8n-workflow';

/**
 * The secret a webhook's callers sign their requests with (Verify Webhook Signature). It stays in
 * n8n's encrypted credentials: callers send only a signature, so no request header carries it.
 */
export class WebhookSigningSecretApi implements ICredentialType {
	name = 'webhookSigningSecretApi';

	displayName = 'Webhook Signing Secret API';

	icon: Icon = 'file:../icons/offboarding.svg';

	documentationUrl =
		'https://github.com/n8n-nodes-batch-offboarding/n8n-nodes-batch-offboarding#signed-gdpr-webhook';

	properties: INodeProperties[] = [
		{
			displayName: 'Secret',
			name: 'secret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description:
				'Shared with the callers, who sign each request with it (HMAC-SHA256); at least 32 random characters, e.g. from <code>openssl rand -base64 32</code>',
		},
	];
}
