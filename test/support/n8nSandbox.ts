/** The five credential types filled with the sandbox's demo credentials, for node tests. */
import type { ICredentialDataDecryptedObject, ICredentialType } from 'n8n-workflow';
import { EjentoApi } from '../../credentials/EjentoApi.credentials';
import { FlashbackApi } from '../../credentials/FlashbackApi.credentials';
import { MudbaseApi } from '../../credentials/MudbaseApi.credentials';
import { ProductAccessApi } from '../../credentials/ProductAccessApi.credentials';
import { ProductBridgeApi } from '../../credentials/ProductBridgeApi.credentials';
import { DEMO_CREDENTIALS, DEMO_SCOPES, type Sandbox } from '../../sandbox';

export const CREDENTIAL_TYPES: Record<string, ICredentialType> = {
	productAccessApi: new ProductAccessApi(),
	productBridgeApi: new ProductBridgeApi(),
	ejentoApi: new EjentoApi(),
	flashbackApi: new FlashbackApi(),
	mudbaseApi: new MudbaseApi(),
};

export function sandboxCredentials(
	sandbox: Sandbox,
): Record<string, ICredentialDataDecryptedObject> {
	const c = DEMO_CREDENTIALS;
	return {
		productAccessApi: { baseUrl: sandbox.baseUrls.productAccess, token: c.productAccess.token },
		productBridgeApi: { baseUrl: sandbox.baseUrls.productBridge, apiKey: c.productBridge.apiKey },
		ejentoApi: {
			baseUrl: sandbox.baseUrls.ejento,
			authType: 'bearer',
			token: c.ejento.token,
			apiKeyHeader: 'X-API-Key',
			apiKey: '',
		},
		flashbackApi: { baseUrl: sandbox.baseUrls.flashback, token: c.flashback.token },
		mudbaseApi: {
			baseUrl: sandbox.baseUrls.mudbase,
			mode: 'login',
			email: c.mudbase.email,
			password: c.mudbase.password,
			loginPath: '/api/auth/login',
			emailField: 'email',
			passwordField: 'password',
			tokenPath: 'token',
			sessionToken: '',
		},
	};
}

/** Every secret value of the demo credentials. */
export const DEMO_SECRETS = [
	DEMO_CREDENTIALS.productAccess.token,
	DEMO_CREDENTIALS.productBridge.apiKey,
	DEMO_CREDENTIALS.ejento.token,
	DEMO_CREDENTIALS.ejento.apiKey,
	DEMO_CREDENTIALS.flashback.token,
	DEMO_CREDENTIALS.mudbase.password,
];

/** Node parameters: every system, scopes fixed to the demo ones. */
export function offboardParameters(extra: Record<string, unknown> = {}) {
	return {
		systems: ['productAccess', 'productBridge', 'ejento', 'flashback', 'mudbase'],
		inputSource: 'items',
		productAccessProductIdSource: 'fixed',
		productAccessProductIdValues: DEMO_SCOPES.productAccess.productId,
		ejentoProjectIdSource: 'fixed',
		ejentoProjectIdValues: DEMO_SCOPES.ejento.projectId,
		flashbackWorkspaceIdSource: 'fixed',
		flashbackWorkspaceIdValues: DEMO_SCOPES.flashback.workspaceId,
		mudbaseProjectIdSource: 'fixed',
		mudbaseProjectIdValues: DEMO_SCOPES.mudbase.projectId,
		mudbaseChatIdSource: 'fixed',
		mudbaseChatIdValues: DEMO_SCOPES.mudbase.chatId,
		outputMode: 'perResult',
		options: {},
		...extra,
	};
}
