/**
 * Credential tests (`testedBy`): none of the seed vendors documents a harmless read call, so each
 * test sends the removal call for ids that cannot exist and tells a rejected credential (401) from
 * an accepted one (any other answer); a system that looks users up first (SCIM) sends only that
 * read. It can never remove anyone.
 */
import type {
	ICredentialDataDecryptedObject,
	ICredentialsDecrypted,
	ICredentialTestFunctions,
	INodeCredentialTestResult,
} from 'n8n-workflow';
import { decodeJwtClaims } from '../auth/jwt';
import { jwtLoginRequest, tokenFrom } from '../auth/schemes';
import { redact } from '../secrets';
import { vendorMessage } from '../systems/classify';
import { buildRemovalRequest } from '../systems/request';
import { SYSTEM_IDS, SYSTEMS } from '../systems';
import type { SystemDefinition, SystemId } from '../systems/types';
import { basicAuthorization } from './credentialAuth';
import { secretsOf } from './systems';

/** Ids no system can have: the request is well-formed, the answer at best "not there". */
const NO_SUCH_ID = 'n8n-credential-test-0000';
const NO_SUCH_NUMBER = '9007199254740991';

interface LegacyResponse {
	statusCode: number;
	body: unknown;
}

async function send(
	context: ICredentialTestFunctions,
	options: {
		method: string;
		url: string;
		headers: Record<string, string>;
		body?: Record<string, unknown>;
	},
): Promise<LegacyResponse> {
	return (await context.helpers.request({
		method: options.method,
		uri: options.url,
		headers: options.headers,
		body: options.body,
		json: true,
		simple: false,
		resolveWithFullResponse: true,
		followRedirect: false,
		timeout: 15_000,
	})) as LegacyResponse;
}

function text(body: unknown): string {
	return typeof body === 'string' ? body : JSON.stringify(body ?? '');
}

/** The credential placed where its definition says (`SystemDefinition.credential.auth`). */
async function authFor(
	context: ICredentialTestFunctions,
	definition: SystemDefinition,
	credentials: ICredentialDataDecryptedObject,
): Promise<
	{ headers: Record<string, string>; body?: Record<string, unknown> } | INodeCredentialTestResult
> {
	const auth = definition.credential.auth(credentials);
	if (auth.kind === 'bodyField')
		return { headers: {}, body: { [auth.field]: String(credentials[auth.valueField] ?? '') } };
	if (auth.kind === 'header')
		return { headers: { [auth.name]: String(credentials[auth.valueField] ?? '') } };
	if (auth.kind === 'bearer')
		return { headers: { Authorization: `Bearer ${String(credentials[auth.tokenField] ?? '')}` } };
	if (auth.kind === 'basic')
		return {
			headers: {
				Authorization: basicAuthorization(credentials, auth.userField, auth.passwordField),
			},
		};
	if (auth.kind === 'none') return { headers: {} };
	if (credentials.mode === 'token') {
		const token = String(credentials.token ?? '');
		const exp = decodeJwtClaims(token)?.exp;
		if (exp === undefined)
			return { status: 'Error', message: 'The pasted value is not a JWT with an exp claim' };
		if (exp * 1000 <= Date.now())
			return {
				status: 'Error',
				message: `The JWT expired at ${new Date(exp * 1000).toISOString()}`,
			};
		return { headers: { Authorization: `Bearer ${token}` } };
	}
	const request = jwtLoginRequest(credentials);
	const login = await send(context, {
		method: 'POST',
		url: request.url,
		headers: {},
		body: request.body,
	});
	if (login.statusCode < 200 || login.statusCode >= 300) {
		return {
			status: 'Error',
			message: `Login was refused (${login.statusCode}): check the email, password and login path`,
		};
	}
	const token = tokenFrom(login.body, request);
	if (token === undefined) {
		return {
			status: 'Error',
			message: 'Logged in, but the answer has no token at the configured token path',
		};
	}
	return { headers: { Authorization: `Bearer ${token}` } };
}

function credentialTest(system: SystemId) {
	return async function (
		this: ICredentialTestFunctions,
		credential: ICredentialsDecrypted,
	): Promise<INodeCredentialTestResult> {
		const credentials = credential.data ?? {};
		const registered = SYSTEMS[system];
		const definition =
			registered.configure?.({ ...credentials, ...registered.credential.probeOverrides }, {}) ??
			registered;
		const secrets = secretsOf(credentials);
		try {
			const auth = await authFor(this, definition, credentials);
			if ('status' in auth) return auth;
			const scope = Object.fromEntries(
				definition.scopeFields.map((f) => [
					f.key,
					f.rule === 'positiveInteger' ? NO_SUCH_NUMBER : NO_SUCH_ID,
				]),
			);
			const userId =
				definition.credential.probeUserId ??
				(definition.userIdRule === 'positiveInteger' ? NO_SUCH_NUMBER : NO_SUCH_ID);
			const built = buildRemovalRequest(
				definition,
				String(credentials.baseUrl || definition.defaultBaseUrl || ''),
				scope,
				userId,
			);
			if (!built.ok) return { status: 'Error', message: built.reason };
			const answer = await send(this, {
				...built.value,
				headers: { ...built.value.headers, ...auth.headers },
				...(built.value.body || auth.body ? { body: { ...built.value.body, ...auth.body } } : {}),
			});
			if (answer.statusCode === 422) {
				// A validation answer may come before the credential check: it proves nothing.
				return {
					status: 'Error',
					message: redact(
						`${definition.displayName} could not check the credential (422: ${vendorMessage(text(answer.body))})`,
						secrets,
					),
				};
			}
			if (answer.statusCode === 401) {
				return {
					status: 'Error',
					message: redact(
						`${definition.displayName} rejected the credential (401: ${vendorMessage(text(answer.body))})`,
						secrets,
					),
				};
			}
			return {
				status: 'OK',
				message: `${definition.displayName} accepted the credential (answered ${answer.statusCode} for an id that cannot exist); scopes cannot be checked without real ids`,
			};
		} catch (error) {
			return {
				status: 'Error',
				message: redact(
					`Could not reach ${definition.displayName}: ${(error as Error).message}`,
					secrets,
				),
			};
		}
	};
}

/** `<system>CredentialTest` for every system: the name each credential's node declares in `testedBy`. */
export const credentialTests = Object.fromEntries(
	SYSTEM_IDS.map((id) => [`${id}CredentialTest`, credentialTest(id)]),
) as Readonly<Record<`${SystemId}CredentialTest`, ReturnType<typeof credentialTest>>>;
