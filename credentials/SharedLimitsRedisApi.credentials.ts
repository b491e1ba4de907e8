import type { ICredentialType, INodeProperties, Icon } from 'n8n-workflow';

/**
 * A Redis of the user's choice for Shared Limits (src/n8n/limitStore.ts): the same fields as n8n's
 * own Redis credential. A type of this package's own, because n8n forbids a community node to ask
 * for another package's credential (@n8n/community-nodes/no-credential-reuse).
 */
export class SharedLimitsRedisApi implements ICredentialType {
	name = 'sharedLimitsRedisApi';

	displayName = 'Shared Limits Redis API';

	icon: Icon = 'file:../icons/offboarding.svg';

	documentationUrl =
		'https://github.com/n8n-nodes-batch-offboarding/n8n-nodes-batch-offboarding#limits-across-workers';

	properties: INodeProperties[] = [
		{ displayName: 'Host', name: 'host', type: 'string', default: 'localhost', required: true },
		{ displayName: 'Port', name: 'port', type: 'number', default: 6379, required: true },
		{ displayName: 'Database Number', name: 'database', type: 'number', default: 0 },
		{
			displayName: 'User',
			name: 'user',
			type: 'string',
			default: '',
			description: 'Leave blank for password-only auth',
		},
		{
			displayName: 'Password',
			name: 'password',
			type: 'string',
			typeOptions: { password: true },
			default: '',
		},
		{ displayName: 'SSL', name: 'ssl', type: 'boolean', default: false },
		{
			displayName: 'Disable TLS Verification (Insecure)',
			name: 'disableTlsVerification',
			type: 'boolean',
			default: false,
			displayOptions: { show: { ssl: [true] } },
		},
	];
}
