/**
 * The three credential schemes of DESIGN §3 for the plain transport (sandbox, tests, benchmarks).
 * Inside n8n the credential types do the same through `authenticate` and `preAuthentication`.
 */
import type { SystemDefinition } from '../systems/types';
import type { Authenticate, HttpRequest, Transport } from '../transport/types';

export function bearer(token: string): Authenticate {
	return (request) => ({
		...request,
		headers: { ...request.headers, authorization: `Bearer ${token}` },
	});
}

export function apiKeyHeader(headerName: string, key: string): Authenticate {
	return (request) => ({ ...request, headers: { ...request.headers, [headerName]: key } });
}

/** `Basic base64(user:password)` (RFC 7617), UTF-8. */
export function basicAuthorization(
	credentials: Readonly<Record<string, unknown>>,
	userField: string,
	passwordField: string,
): string {
	const pair = `${String(credentials[userField] ?? '')}:${String(credentials[passwordField] ?? '')}`;
	return `Basic ${Buffer.from(pair, 'utf8').toString('base64')}`;
}

export function apiKeyInBody(field: string, key: string): Authenticate {
	return (request) => ({ ...request, body: { ...request.body, [field]: key } });
}

export interface JwtLoginSettings {
	baseUrl: string;
	loginPath: string;
	emailField: string;
	passwordField: string;
	/** Dotted path of the token in the login answer, e.g. `token` or `data.accessToken`. */
	tokenPath: string;
	email: string;
	password: string;
	timeoutMs?: number;
}

export const DEFAULT_JWT_LOGIN = {
	loginPath: '/api/auth/login',
	emailField: 'email',
	passwordField: 'password',
	tokenPath: 'token',
} as const;

export function readPath(value: unknown, path: string): unknown {
	return path.split('.').reduce<unknown>((node, key) => {
		if (typeof node !== 'object' || node === null) return undefined;
		return (node as Record<string, unknown>)[key];
	}, value);
}

export class JwtLoginError extends Error {
	override readonly name = 'JwtLoginError';
}

/** A JWT login as data: the one place its URL, body and token path are made from the settings. */
export interface JwtLoginRequest {
	url: string;
	body: Record<string, unknown>;
	tokenPath: string;
}

/** Builds the login request from (credential) settings, filling the defaults for blank fields. */
export function jwtLoginRequest(settings: Readonly<Record<string, unknown>>): JwtLoginRequest {
	const text = (key: keyof typeof DEFAULT_JWT_LOGIN): string =>
		typeof settings[key] === 'string' && settings[key] !== ''
			? (settings[key] as string)
			: DEFAULT_JWT_LOGIN[key];
	const base = String(settings.baseUrl ?? '').replace(/\/+$/, '');
	return {
		url: `${base}/${text('loginPath').replace(/^\/+/, '')}`,
		body: { [text('emailField')]: settings.email, [text('passwordField')]: settings.password },
		tokenPath: text('tokenPath'),
	};
}

/** The token at the login request's path in the answer, if it is a non-empty string. */
export function tokenFrom(answer: unknown, login: JwtLoginRequest): string | undefined {
	const token = readPath(answer, login.tokenPath);
	return typeof token === 'string' && token !== '' ? token : undefined;
}

/** Logs in and returns the JWT. The error never carries the password or the answer's body. */
export async function loginForJwt(
	transport: Transport,
	settings: JwtLoginSettings,
): Promise<string> {
	const login = jwtLoginRequest({ ...settings });
	const request: HttpRequest = {
		method: 'POST',
		url: login.url,
		headers: {},
		body: login.body,
		timeoutMs: settings.timeoutMs ?? 10_000,
	};
	const response = await transport.send(request);
	if (response.status < 200 || response.status >= 300) {
		throw new JwtLoginError(
			`login at ${settings.loginPath} was refused (${response.status}): check the email and password`,
		);
	}
	let body: unknown;
	try {
		body = JSON.parse(response.body);
	} catch {
		throw new JwtLoginError(
			`login at ${settings.loginPath} answered ${response.status} without JSON`,
		);
	}
	const token = tokenFrom(body, login);
	if (token === undefined) {
		throw new JwtLoginError(
			`login answer has no token at "${login.tokenPath}": check the token path`,
		);
	}
	return token;
}

/** A JWT session for the plain transport: logs in on first use and again when `refresh()` is called. */
export function jwtSession(transport: Transport, settings: JwtLoginSettings) {
	let token: Promise<string> | undefined;
	return {
		authenticate: (async (request) => {
			token ??= loginForJwt(transport, settings);
			return bearer(await token)(request);
		}) as Authenticate,
		refresh(): Promise<string> {
			token = loginForJwt(transport, settings);
			return token;
		},
		/** The current token, for redaction. */
		async current(): Promise<string | undefined> {
			return token;
		},
	};
}

/** A credential for the plain transport: how requests carry it, how to refresh it, its secrets. */
export interface PlainCredential {
	authenticate: Authenticate;
	refreshCredential?: () => Promise<unknown>;
	/** Every secret value a vendor could echo back (the current JWT included). */
	secrets(): string[];
}

/**
 * The plain transport's side of `SystemDefinition.credential.auth` (n8n's is `placeCredential`):
 * from credential data as n8n's credential type holds it (the sandbox's `sandboxCredentialData`).
 */
export function plainCredential(
	definition: SystemDefinition,
	fields: Readonly<Record<string, unknown>>,
	transport: Transport,
): PlainCredential {
	const value = (field: string): string => String(fields[field] ?? '');
	const auth = definition.credential.auth(fields);
	switch (auth.kind) {
		case 'bearer':
			return {
				authenticate: bearer(value(auth.tokenField)),
				secrets: () => [value(auth.tokenField)],
			};
		case 'header':
			return {
				authenticate: apiKeyHeader(auth.name, value(auth.valueField)),
				secrets: () => [value(auth.valueField)],
			};
		case 'bodyField':
			return {
				authenticate: apiKeyInBody(auth.field, value(auth.valueField)),
				secrets: () => [value(auth.valueField)],
			};
		case 'basic': {
			const header = basicAuthorization(fields, auth.userField, auth.passwordField);
			return {
				authenticate: apiKeyHeader('authorization', header),
				secrets: () => [value(auth.passwordField), header.slice('Basic '.length)],
			};
		}
		case 'none':
			return { authenticate: (request) => request, secrets: () => [] };
		case 'jwtLogin': {
			if (fields.mode === 'token')
				return { authenticate: bearer(value('token')), secrets: () => [value('token')] };
			const login = jwtLoginRequest(fields);
			const session = jwtSession(transport, {
				...DEFAULT_JWT_LOGIN,
				baseUrl: value('baseUrl'),
				loginPath: value('loginPath') || DEFAULT_JWT_LOGIN.loginPath,
				emailField: value('emailField') || DEFAULT_JWT_LOGIN.emailField,
				passwordField: value('passwordField') || DEFAULT_JWT_LOGIN.passwordField,
				tokenPath: login.tokenPath,
				email: value('email'),
				password: value('password'),
			});
			let token = '';
			return {
				authenticate: async (request) => {
					const authenticated = await session.authenticate(request);
					token = (await session.current()) ?? '';
					return authenticated;
				},
				refreshCredential: () => session.refresh(),
				secrets: () => [value('password'), token].filter((s) => s !== ''),
			};
		}
	}
}
