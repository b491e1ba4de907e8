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
 * A SCIM 2.0 app (RFC 7644): its base URL, a bearer token (or the app's own header), and what
 * offboarding does there — Deactivate (`active: false`, as Okta and Entra send) or Delete.
 */
export class ScimApi implements ICredentialType {
	name = 'scimApi';

	displayName = 'SCIM 2.0 API';

	icon: Icon = 'file:../icons/offboarding.svg';

	documentationUrl =
		'https://github.com/n8n-nodes-batch-offboarding/n8n-nodes-batch-offboarding#scim-20-apps';

	properties: INodeProperties[] = [
		{
			displayName: 'Base URL',
			name: 'baseUrl',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'https://api.example.com/scim/v2',
			description:
				'The SCIM endpoint, without /Users (the app documents it, often ending in /scim/v2)',
		},
		{
			displayName: 'Token',
			name: 'token',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
		},
		{
			displayName: 'Header Name',
			name: 'headerName',
			type: 'string',
			default: '',
			placeholder: 'Authorization',
			description:
				'Leave empty for Authorization: Bearer (RFC 7644 §2). Another name sends the token as that header, unchanged.',
		},
		{
			displayName: 'Offboarding Action',
			name: 'action',
			type: 'options',
			options: [
				{
					name: 'Deactivate (PATCH Active = False)',
					value: 'deactivate',
					description:
						'What Okta and Entra send: the account stays, its access ends; reversible in the app',
				},
				{
					name: 'Delete (DELETE /Users/{ID})',
					value: 'delete',
					description: 'The account is deleted in the app: irreversible',
				},
			],
			default: 'deactivate',
		},
	];

	async authenticate(
		credentials: ICredentialDataDecryptedObject,
		requestOptions: IHttpRequestOptions,
	): Promise<IHttpRequestOptions> {
		return placeCredential(SYSTEMS.scim, credentials, requestOptions);
	}
}
