/**
 * A credential's `authenticate`, from its system's definition (`credential.auth`): where the secret
 * goes is decided once, in `src/systems/<id>.ts`, for n8n as for the plain transport.
 */
import type { ICredentialDataDecryptedObject, IHttpRequestOptions } from 'n8n-workflow';
import { basicAuthorization } from '../auth/schemes';
import type { SystemDefinition } from '../systems/types';

export { basicAuthorization };

export function placeCredential(
	definition: SystemDefinition,
	credentials: ICredentialDataDecryptedObject,
	requestOptions: IHttpRequestOptions,
): IHttpRequestOptions {
	const auth = definition.credential.auth(credentials);
	const headers = { ...requestOptions.headers };
	switch (auth.kind) {
		case 'bearer':
			headers.Authorization = `Bearer ${String(credentials[auth.tokenField] ?? '')}`;
			return { ...requestOptions, headers };
		case 'header':
			headers[auth.name] = String(credentials[auth.valueField] ?? '');
			return { ...requestOptions, headers };
		case 'bodyField': {
			const body = (requestOptions.body ?? {}) as Record<string, unknown>;
			return {
				...requestOptions,
				body: { ...body, [auth.field]: String(credentials[auth.valueField] ?? '') },
			};
		}
		case 'basic':
			headers.Authorization = basicAuthorization(credentials, auth.userField, auth.passwordField);
			return { ...requestOptions, headers };
		case 'none':
			return requestOptions;
		case 'jwtLogin':
			headers.Authorization = `Bearer ${String(credentials.sessionToken ?? '')}`;
			return { ...requestOptions, headers };
	}
}
