/** One removal request for one (row, system, scope) pair: send, classify. No retries here. */
import { redactingTransport } from '../secrets';
import { type ClassifyOptions, classifyResponse } from '../systems/classify';
import { buildRemovalRequest, type RemovalRequest, type RequestOptions } from '../systems/request';
import type { SystemDefinition, Verdict } from '../systems/types';
import { type HttpResponse, type Transport, TransportError } from '../transport/types';

export type SendResult =
	| { response: HttpResponse; verdict: Verdict }
	/** No answer came back: the removal may or may not have happened. */
	| { transportError: TransportError };

export interface SendOptions {
	timeoutMs: number;
	allowCredentialRefresh?: boolean;
	classify?: ClassifyOptions;
	/** Reads the answer instead of `classifyResponse` (a lookup's answer: `classifyLookup`). */
	interpret?: (response: HttpResponse) => Verdict;
}

/** `transport` must already redact secrets (see `redactingTransport`). */
export async function sendRemoval(
	system: SystemDefinition,
	request: RemovalRequest,
	transport: Transport,
	options: SendOptions,
): Promise<SendResult> {
	try {
		const response = await transport.send({
			...request,
			timeoutMs: options.timeoutMs,
			...(options.allowCredentialRefresh ? { allowCredentialRefresh: true } : {}),
		});
		const verdict = options.interpret
			? options.interpret(response)
			: classifyResponse(system, response, options.classify);
		return { response, verdict };
	} catch (error) {
		if (error instanceof TransportError) return { transportError: error };
		throw error;
	}
}

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
	request?: RequestOptions;
}

export type AttemptResult =
	/** Not sent: the row's ids or the configuration cannot make a safe request. */
	| { sent: false; reason: string }
	| { sent: true; request: RemovalRequest; verdict: Verdict }
	| { sent: true; request: RemovalRequest; transportError: TransportError };

/** Build, send once, classify: a single removal without the engine's limits and retries. */
export async function attemptRemoval(input: AttemptInput): Promise<AttemptResult> {
	const built = buildRemovalRequest(
		input.system,
		input.baseUrl,
		input.scope,
		input.userId,
		input.request,
	);
	if (!built.ok) return { sent: false, reason: built.reason };
	const request = built.value;
	const result = await sendRemoval(
		input.system,
		request,
		redactingTransport(input.transport, input.secrets),
		{ timeoutMs: input.timeoutMs, classify: input.classify },
	);
	if ('transportError' in result)
		return { sent: true, request, transportError: result.transportError };
	return { sent: true, request, verdict: result.verdict };
}
