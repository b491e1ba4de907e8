/** One removal attempt for one (row, system, scope) pair: build, send, classify. No retries here. */
import { redactingTransport } from '../secrets';
import { buildRemovalRequest, type RemovalRequest } from '../systems/request';
import { classifyResponse, type ClassifyOptions } from '../systems/classify';
import type { SystemDefinition, Verdict } from '../systems/types';
import { type Transport, TransportError } from '../transport/types';

export interface AttemptInput {
	system: SystemDefinition;
	baseUrl: string;
	scope: Record<string, unknown>;
	userId: unknown;
	transport: Transport;
	timeoutMs: number;
	/** Every secret value that could come back in a vendor answer (token, api key, password). */
	secrets: () => readonly string[];
	classify?: ClassifyOptions;
}

export type AttemptResult =
	/** Not sent: the row's ids or the configuration cannot make a safe request. */
	| { sent: false; reason: string }
	| { sent: true; request: RemovalRequest; verdict: Verdict }
	/** Sent, but no answer came back: the removal may or may not have happened. */
	| { sent: true; request: RemovalRequest; transportError: TransportError };

export async function attemptRemoval(input: AttemptInput): Promise<AttemptResult> {
	const built = buildRemovalRequest(input.system, input.baseUrl, input.scope, input.userId);
	if (!built.ok) return { sent: false, reason: built.reason };
	const request = built.value;
	const transport = redactingTransport(input.transport, input.secrets);
	try {
		const response = await transport.send({ ...request, timeoutMs: input.timeoutMs });
		return {
			sent: true,
			request,
			verdict: classifyResponse(input.system, response, input.classify),
		};
	} catch (error) {
		if (error instanceof TransportError) return { sent: true, request, transportError: error };
		throw error;
	}
}
