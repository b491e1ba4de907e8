import type {
	ICredentialDataDecryptedObject,
	ICredentialType,
	IHttpRequestOptions,
	INodeProperties,
	Icon,
} from 'n8n-workflow';
import { placeCredential } from '../src/n8n/credentialAuth';
import { SYSTEMS } from '../src/systems';

/** Ejento: the page states no scheme, so Bearer by default, or an API key in a named header. */
export class EjentoApi implements ICredentialType {
	name = 'ejentoApi';

	displayName = 'Ejento API';

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
			placeholder: 'https://ejento.example.com',
		},
		{
			displayName: 'Authentication',
			name: 'authType',
			type: 'options',
			options: [
				{ name: 'Bearer Token', value: 'bearer' },
				{ name: 'API Key in a Header', value: 'apiKeyHeader' },
			],
			default: 'bearer',
		},
		{
			displayName: 'Token',
			name: 'token',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			displayOptions: { show: { authType: ['bearer'] } },
		},
		// eslint-disable-next-line @n8n/community-nodes/credential-password-field -- the header *name*, not a secret
		{
			displayName: 'Header Name',
			name: 'apiKeyHeader',
			type: 'string',
			default: 'X-API-Key',
			displayOptions: { show: { authType: ['apiKeyHeader'] } },
		},
		{
			displayName: 'API Key',
			name: 'apiKey',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			displayOptions: { show: { authType: ['apiKeyHeader'] } },
		},
	];

	async authenticate(
		credentials: ICredentialDataDecryptedObject,
		requestOptions: IHttpRequestOptions,
	): Promise<IHttpRequestOptions> {
		return placeCredential(SYSTEMS.ejento, credentials, requestOptions);
	}
}
