import type { ICredentialType, INodeProperties, Icon } from 'n8n-workflow';

/** ProductBridge: the organization's API key travels in the JSON body (`api_key`), as documented. */
export class ProductBridgeApi implements ICredentialType {
	name = 'productBridgeApi';

	displayName = 'ProductBridge API';

	icon: Icon = 'file:../icons/offboarding.svg';

	documentationUrl =
		'https://github.com/n8n-nodes-batch-offboarding/n8n-nodes-batch-offboarding#credentials';

	properties: INodeProperties[] = [
		{
			displayName: 'Base URL',
			name: 'baseUrl',
			type: 'string',
			default: 'https://api.productbridge.io',
			required: true,
		},
		{
			displayName: 'API Key',
			name: 'apiKey',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
		},
	];

	authenticate = {
		type: 'generic',
		properties: { body: { api_key: '={{$credentials.apiKey}}' } },
	} as const;
}
