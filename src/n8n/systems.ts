/** What the nodes need per system: its credential type and how to turn that credential into a runtime. */
import { createHash } from 'node:crypto';
import type { ICredentialDataDecryptedObject, IExecuteFunctions } from 'n8n-workflow';
import { sleep } from 'n8n-workflow';
import type { Clock } from '../engine/clock';
import { DEFAULT_LIMITS, type LimitSettings } from '../engine/limiter';
import type { RequestOptions } from '../systems/request';
import type { CredentialPlacement } from '../engine/offboard';
import { DEFAULT_RETRY, type RetrySettings } from '../engine/retry';
import type { SystemRuntime } from '../engine/run';
import { decodeJwtClaims } from '../auth/jwt';
import { SYSTEM_IDS, SYSTEMS } from '../systems';
import type { SystemDefinition, SystemId } from '../systems/types';
import { basicAuthorization } from './credentialAuth';
import { createN8nTransport } from './transport';

/** Each system's n8n credential type, from its definition. */
export const CREDENTIAL_TYPES = Object.fromEntries(
	SYSTEM_IDS.map((id) => [id, SYSTEMS[id].credential.type]),
) as Readonly<Record<SystemId, string>>;

/** Credential fields that hold secrets: scrubbed from everything a vendor sends back. */
const SECRET_FIELDS = ['token', 'apiKey', 'password', 'sessionToken'] as const;

export function secretsOf(credentials: ICredentialDataDecryptedObject): string[] {
	const secrets = SECRET_FIELDS.map((field) => credentials[field]).filter(
		(value): value is string => typeof value === 'string' && value !== '',
	);
	// HTTP Basic: the encoded pair is a secret of its own (an echoing server sends it back whole).
	if (
		typeof credentials.username === 'string' &&
		typeof credentials.password === 'string' &&
		credentials.password !== ''
	)
		secrets.push(basicAuthorization(credentials, 'username', 'password').slice('Basic '.length));
	return secrets;
}

/** Where the credential sits in a request, to show it as [redacted] in a dry run. */
export function placementOf(
	definition: SystemDefinition,
	credentials: ICredentialDataDecryptedObject,
): CredentialPlacement {
	const auth = definition.credential.auth(credentials);
	if (auth.kind === 'bodyField') return { bodyField: auth.field };
	if (auth.kind === 'header') return { header: auth.name };
	if (auth.kind === 'none') return {};
	return { header: 'Authorization' };
}

/** n8n's own `sleep(ms, signal)`: the execution's cancel signal stops every wait at once. */
export const n8nClock: Clock = {
	now: () => Date.now(),
	sleep: async (ms, signal) => await sleep(ms, signal),
};

export interface SystemSettings {
	limits?: Partial<LimitSettings>;
	retry?: Partial<RetrySettings>;
	request?: RequestOptions;
	/** The node's settings a system's definition depends on (`SystemDefinition.configure`). */
	options?: Readonly<Record<string, unknown>>;
}

export interface ResolvedSystem {
	runtime: SystemRuntime;
	baseUrl: string;
	placement: CredentialPlacement;
	/** The credential's own account where it is known (Mudbase JWT `sub`). */
	ownAccountIds: string[];
	/** Pasted Mudbase JWT: when it expires (ms), to refuse a run that cannot finish in time. */
	expiresAt?: number;
}

export async function resolveSystem(
	context: IExecuteFunctions,
	system: SystemId,
	settings: SystemSettings,
): Promise<ResolvedSystem> {
	const type = CREDENTIAL_TYPES[system];
	const credentials = await context.getCredentials(type);
	const registered = SYSTEMS[system];
	const definition = registered.configure?.(credentials, settings.options ?? {}) ?? registered;
	const jwtLogin = definition.credential.auth(credentials).kind === 'jwtLogin';
	const baseUrl = String(credentials.baseUrl || definition.defaultBaseUrl || '');
	const node = context.getNode();
	const secrets = secretsOf(credentials);
	// Limiters are per system + credential; the fingerprint gives an edited credential a fresh one.
	const fingerprint = createHash('sha256')
		.update(JSON.stringify([baseUrl, ...secrets.filter((s) => s !== credentials.sessionToken)]))
		.digest('hex')
		.slice(0, 16);
	const credentialKey = `${node.credentials?.[type]?.id ?? 'local'}:${fingerprint}`;
	let current = secrets;
	const runtime: SystemRuntime = {
		system: definition,
		baseUrl,
		transport: createN8nTransport(context, type),
		secrets: () => current,
		credentialKey,
		limits: {
			...DEFAULT_LIMITS,
			...settings.limits,
			// A slot held by a process that died comes back once its request could no longer be running.
			leaseMs: Math.max(
				DEFAULT_LIMITS.leaseMs,
				2 * (settings.retry?.requestTimeoutMs ?? DEFAULT_RETRY.requestTimeoutMs),
			),
		},
		retry: { ...DEFAULT_RETRY, ...settings.retry },
		...(settings.request ? { request: settings.request } : {}),
		refreshableCredential: jwtLogin,
	};
	const resolved: ResolvedSystem = {
		runtime,
		baseUrl,
		placement: placementOf(definition, credentials),
		ownAccountIds: [],
	};
	if (jwtLogin) {
		const jwt = String(
			(credentials.mode === 'token' ? credentials.token : credentials.sessionToken) ?? '',
		);
		const claims = jwt ? decodeJwtClaims(jwt) : undefined;
		if (claims?.sub) resolved.ownAccountIds.push(claims.sub);
		if (credentials.mode === 'token' && claims?.exp !== undefined)
			resolved.expiresAt = claims.exp * 1000;
		// A refreshed token is a new secret: read the credential again after a request that may have
		// refreshed it, so redaction always knows the current token.
		const refreshSecrets = async (): Promise<void> => {
			current = secretsOf(await context.getCredentials(type));
		};
		const transport = runtime.transport;
		runtime.transport = {
			async send(request) {
				try {
					return await transport.send(request);
				} finally {
					if (request.allowCredentialRefresh) await refreshSecrets();
				}
			},
		};
	}
	return resolved;
}
