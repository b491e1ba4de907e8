/** Engine runtimes for the five sandbox systems over the plain transport, with demo credentials. */
import { apiKeyInBody, bearer, DEFAULT_JWT_LOGIN, jwtSession } from '../../src/auth/schemes';
import { DEFAULT_LIMITS, type LimitSettings } from '../../src/engine/limiter';
import { DEFAULT_RETRY, type RetrySettings } from '../../src/engine/retry';
import type { SystemRuntime } from '../../src/engine/run';
import { SYSTEMS, type SeedSystemId } from '../../src/systems';
import { createFetchTransport } from '../../src/transport/fetchTransport';
import { DEMO_CREDENTIALS, type Sandbox } from '../../sandbox';

export function sandboxRuntimes(
	sandbox: Sandbox,
	limits: Partial<LimitSettings> = {},
	retry: Partial<RetrySettings> = {},
): Record<SeedSystemId, SystemRuntime> {
	const c = DEMO_CREDENTIALS;
	const common = (system: SeedSystemId) => ({
		system: SYSTEMS[system],
		baseUrl: sandbox.baseUrls[system],
		credentialKey: 'demo',
		limits: { ...DEFAULT_LIMITS, ...limits },
		retry: { ...DEFAULT_RETRY, ...retry },
	});
	const session = jwtSession(createFetchTransport(), {
		...DEFAULT_JWT_LOGIN,
		baseUrl: sandbox.baseUrls.mudbase,
		email: c.mudbase.email,
		password: c.mudbase.password,
	});
	let token = '';
	return {
		productAccess: {
			...common('productAccess'),
			transport: createFetchTransport({ authenticate: bearer(c.productAccess.token) }),
			secrets: () => [c.productAccess.token],
		},
		productBridge: {
			...common('productBridge'),
			transport: createFetchTransport({
				authenticate: apiKeyInBody('api_key', c.productBridge.apiKey),
			}),
			secrets: () => [c.productBridge.apiKey],
		},
		ejento: {
			...common('ejento'),
			transport: createFetchTransport({ authenticate: bearer(c.ejento.token) }),
			secrets: () => [c.ejento.token],
		},
		flashback: {
			...common('flashback'),
			transport: createFetchTransport({ authenticate: bearer(c.flashback.token) }),
			secrets: () => [c.flashback.token],
		},
		mudbase: {
			...common('mudbase'),
			refreshableCredential: true,
			transport: createFetchTransport({
				authenticate: async (request) => {
					const authenticated = await session.authenticate(request);
					token = (await session.current()) ?? '';
					return authenticated;
				},
				refreshCredential: () => session.refresh(),
			}),
			secrets: () => [c.mudbase.password, token],
		},
	};
}
