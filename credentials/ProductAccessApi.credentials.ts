import type { ICredentialType, INodeProperties, Icon } from 'n8n-workflow';

/** Product Access ("Remove User from Product", v1): Bearer token; the vendor documents no host. */
export class ProductAccessApi implements ICredentialType {
	name = 'productAccessApi';

	displayName = 'Product Access API';

	icon: Icon = 'file:../icons/offboarding.svg';

	documentationUrl =
		'https://github.com/n8n-nodes-batch-offboarding/n8n-nodes-batch-offboarding#credentials';

	properties: INodeProperties[] = [
		{
			displayName: 'Base URL',
			name: 'baseUrl',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'https://api.example.com/v1/products',
			description: 'Everything before /{productId}/users/{user}: the API documents no host',
		},
		{
			displayName: 'Token',
			name: 'token',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
		},
	];

	authenticate = {
		type: 'generic',
		properties: { headers: { Authorization: '=Bearer {{$credentials.token}}' } },
	} as const;
}
