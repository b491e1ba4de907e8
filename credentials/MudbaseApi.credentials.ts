import type {
	ICredentialDataDecryptedObject,
	ICredentialType,
	IHttpRequestHelper,
	INodeProperties,
	Icon,
} from 'n8n-workflow';
import { DEFAULT_JWT_LOGIN, jwtLoginRequest, tokenFrom } from '../src/auth/schemes';

/**
 * Mudbase: a JWT as Bearer. Either pasted (checked for `exp` before a run) or obtained by logging
 * in; the token lives in a hidden expirable field that n8n fills through `preAuthentication`, and
 * the engine lets exactly one request at a time trigger a refresh (DESIGN §3).
 */
export class MudbaseApi implements ICredentialType {
	name = 'mudbaseApi';

	displayName = 'Mudbase API';

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
			placeholder: 'https://api.mudbase.example',
		},
		{
			displayName: 'Token Source',
			name: 'mode',
			type: 'options',
			options: [
				{ name: 'Log In (Email and Password)', value: 'login' },
				{ name: 'Pasted JWT', value: 'token' },
			],
			default: 'login',
		},
		{
			displayName: 'JWT',
			name: 'token',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			displayOptions: { show: { mode: ['token'] } },
			description:
				'Checked before a run: an expired token, or one expiring before the run can finish, refuses the run',
		},
		{
			displayName: 'Email',
			name: 'email',
			type: 'string',
			placeholder: 'name@email.com',
			default: '',
			displayOptions: { show: { mode: ['login'] } },
		},
		{
			displayName: 'Password',
			name: 'password',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			displayOptions: { show: { mode: ['login'] } },
		},
		{
			displayName: 'Login Path',
			name: 'loginPath',
			type: 'string',
			default: DEFAULT_JWT_LOGIN.loginPath,
			displayOptions: { show: { mode: ['login'] } },
		},
		{
			displayName: 'Email Field Name',
			name: 'emailField',
			type: 'string',
			default: DEFAULT_JWT_LOGIN.emailField,
			displayOptions: { show: { mode: ['login'] } },
		},
		// eslint-disable-next-line @n8n/community-nodes/credential-password-field -- the JSON field *name* for the password, not a secret
		{
			displayName: 'Password Field Name',
			name: 'passwordField',
			type: 'string',
			default: DEFAULT_JWT_LOGIN.passwordField,
			displayOptions: { show: { mode: ['login'] } },
		},
		// eslint-disable-next-line @n8n/community-nodes/credential-password-field -- the JSON *path* of the token, not a secret
		{
			displayName: 'Token Path in the Answer',
			name: 'tokenPath',
			type: 'string',
			default: DEFAULT_JWT_LOGIN.tokenPath,
			description: 'Dotted path of the JWT in the login answer, e.g. token or data.accessToken',
			displayOptions: { show: { mode: ['login'] } },
		},
		{
			displayName: 'Session Token',
			name: 'sessionToken',
			type: 'hidden',
			typeOptions: { expirable: true, password: true },
			default: '',
		},
	];

	async preAuthentication(this: IHttpRequestHelper, credentials: ICredentialDataDecryptedObject) {
		if (credentials.mode === 'token') return { sessionToken: String(credentials.token ?? '') };
		const login = jwtLoginRequest(credentials);
		const answer: unknown = await this.helpers.httpRequest({
			method: 'POST',
			url: login.url,
			body: login.body,
			json: true,
		});
		const token = tokenFrom(answer, login);
		if (token === undefined) {
			throw new Error(`The login answer has no token at "${login.tokenPath}": check Token Path`);
		}
		return { sessionToken: token };
	}

	authenticate = {
		type: 'generic',
		properties: { headers: { Authorization: '=Bearer {{$credentials.sessionToken}}' } },
	} as const;
}
