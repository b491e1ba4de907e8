import type { RequestOptions } from '../../src/systems/request';
/** Small helpers to remove one user through the plain transport against a started sandbox. */
import { apiKeyHeader, plainCredential } from '../../src/auth/schemes';
import { attemptRemoval, type AttemptResult } from '../../src/engine/attempt';
import { SYSTEMS, type SeedSystemId } from '../../src/systems';
import { createFetchTransport } from '../../src/transport/fetchTransport';
import type { Authenticate, Transport } from '../../src/transport/types';
import { DEMO_CREDENTIALS, type Sandbox, sandboxCredentialData } from '../../sandbox';

export interface Client {
	transport: Transport;
	secrets: string[];
}

/** A transport carrying the demo credential of `system` (or `override` for a wrong one). */
export function demoClient(
	sandbox: Sandbox,
	system: SeedSystemId,
	override?: Authenticate,
): Client {
	const definition = SYSTEMS[system];
	const data = sandboxCredentialData(sandbox.baseUrls)[definition.credential.type];
	const credential = plainCredential(definition, data, createFetchTransport());
	return {
		transport: createFetchTransport({ authenticate: override ?? credential.authenticate }),
		secrets: credential.secrets(),
	};
}

export function ejentoApiKeyClient(): Client {
	const { apiKeyHeader: header, apiKey } = DEMO_CREDENTIALS.ejento;
	return {
		transport: createFetchTransport({ authenticate: apiKeyHeader(header, apiKey) }),
		secrets: [apiKey],
	};
}

export function removeWith(
	sandbox: Sandbox,
	system: SeedSystemId,
	client: Client,
	scope: Record<string, unknown>,
	userId: unknown,
	timeoutMs = 5000,
	request?: RequestOptions,
): Promise<AttemptResult> {
	return attemptRemoval({
		system: SYSTEMS[system],
		baseUrl: sandbox.baseUrls[system],
		scope,
		userId,
		transport: client.transport,
		timeoutMs,
		secrets: () => client.secrets,
		...(request ? { request } : {}),
	});
}

/** The verdict of a sent attempt (fails the test if it was not sent or got no answer). */
export function verdictOf(result: AttemptResult) {
	if (!result.sent) throw new Error(`not sent: ${result.reason}`);
	if ('transportError' in result) throw new Error(`no answer: ${result.transportError.message}`);
	return result.verdict;
}
