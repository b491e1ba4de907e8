/** Engine runtimes for the five sandbox systems over the plain transport, with demo credentials. */
import { plainCredential } from '../../src/auth/schemes';
import { DEFAULT_LIMITS, type LimitSettings } from '../../src/engine/limiter';
import { DEFAULT_RETRY, type RetrySettings } from '../../src/engine/retry';
import type { SystemRuntime } from '../../src/engine/run';
import { SEED_SYSTEM_IDS, type SeedSystemId, SYSTEMS } from '../../src/systems';
import { createFetchTransport } from '../../src/transport/fetchTransport';
import { type Sandbox, sandboxCredentialData } from '../../sandbox';

export function sandboxRuntimes(
	sandbox: Sandbox,
	limits: Partial<LimitSettings> = {},
	retry: Partial<RetrySettings> = {},
): Record<SeedSystemId, SystemRuntime> {
	const data = sandboxCredentialData(sandbox.baseUrls);
	const runtime = (system: SeedSystemId): SystemRuntime => {
		const definition = SYSTEMS[system];
		// Where the credential goes is the definition's (`credential.auth`), as inside n8n.
		const credential = plainCredential(
			definition,
			data[definition.credential.type],
			createFetchTransport(),
		);
		return {
			system: definition,
			baseUrl: sandbox.baseUrls[system],
			credentialKey: 'demo',
			limits: { ...DEFAULT_LIMITS, ...limits },
			retry: { ...DEFAULT_RETRY, ...retry },
			transport: createFetchTransport({
				authenticate: credential.authenticate,
				...(credential.refreshCredential
					? { refreshCredential: credential.refreshCredential }
					: {}),
			}),
			secrets: () => credential.secrets(),
			...(definition.credential.auth(data[definition.credential.type]).kind === 'jwtLogin'
				? { refreshableCredential: true }
				: {}),
		};
	};
	return Object.fromEntries(SEED_SYSTEM_IDS.map((id) => [id, runtime(id)])) as Record<
		SeedSystemId,
		SystemRuntime
	>;
}
