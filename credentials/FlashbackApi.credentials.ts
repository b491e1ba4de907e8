import type { ICredentialType, INodeProperties, Icon } from 'n8n-workflow';

/** Flashback: Bearer token of an account with ADMIN access to the workspaces. */
export class FlashbackApi implements ICredentialType {
	name = 'flashbackApi';

	displayName = 'Flashback API';

	icon: Icon = 'file:../icons/offboarding.svg';

	documentationUrl =
		'https://github.com/n8n-nodes-batch-offboarding/n8n-nodes-batch-offboarding#credentials';

	properties: INodeProperties[] = [
		{
			displayName: 'Base URL',
			name: 'baseUrl',
			type: 'string',
			default: 'https://backend.flashback.tech',
			required: true,
		},
		{
			displayName: 'Access Token',
			name: 'token',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description: 'Of an account with ADMIN access to the workspaces users are removed from',
		},
	];

	authenticate = {
		type: 'generic',
		properties: { headers: { Authorization: '=Bearer {{$credentials.token}}' } },
	} as const;
}
