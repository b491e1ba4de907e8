import type {
	ICredentialDataDecryptedObject,
	ICredentialType,
	IHttpRequestOptions,
	INodeProperties,
	Icon,
} from 'n8n-workflow';
import { placeCredential } from '../src/n8n/credentialAuth';
import { SYSTEMS } from '../src/systems';

/**
 * The credential of a Custom HTTP system: its base URL and how the secret is sent. (A community
 * node can use only the credential types it declares — n8n-core grants other types to its HTTP
 * Request and GraphQL nodes alone — so the common schemes are offered here.)
 */
export class CustomHttpApi implements ICredentialType {
	name = 'customHttpApi';

	displayName = 'Custom HTTP System API';

	icon: Icon = 'file:../icons/offboarding.svg';

	documentationUrl =
		'https://github.com/n8n-nodes-batch-offboarding/n8n-nodes-batch-offboarding#custom-http-systems';

	properties: INodeProperties[] = [
		{
			displayName: 'Base URL',
			name: 'baseUrl',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'https://api.example.com/v1',
		},
		{
			displayName: 'Authentication',
			name: 'authType',
			type: 'options',
			options: [
				{ name: 'Bearer Token', value: 'bearer' },
				{ name: 'API Key in a Header', value: 'header' },
				{ name: 'Basic (User and Password)', value: 'basic' },
				{ name: 'None', value: 'none' },
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
		{
			displayName: 'Header Name',
			name: 'headerName',
			type: 'string',
			default: 'X-API-Key',
			displayOptions: { show: { authType: ['header'] } },
		},
		{
			displayName: 'API Key',
			name: 'apiKey',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			displayOptions: { show: { authType: ['header'] } },
		},
		{
			displayName: 'User',
			name: 'username',
			type: 'string',
			default: '',
			displayOptions: { show: { authType: ['basic'] } },
		},
		{
			displayName: 'Password',
			name: 'password',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			displayOptions: { show: { authType: ['basic'] } },
		},
	];

	async authenticate(
		credentials: ICredentialDataDecryptedObject,
		requestOptions: IHttpRequestOptions,
	): Promise<IHttpRequestOptions> {
		return placeCredential(SYSTEMS.custom, credentials, requestOptions);
	}
}
