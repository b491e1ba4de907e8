/**
 * Removes secret values from vendor text before it reaches a result, an error or a log
 * (a FastAPI 422 echoes its input, `api_key` included).
 */
import type { HttpResponse, Transport } from './transport/types';
import { TransportError } from './transport/types';

export const REDACTED = '[redacted]';

/** The spellings a secret takes in vendor text: as is, JSON-escaped, percent-encoded. */
function spellings(secret: string): string[] {
	const forms = new Set([secret, JSON.stringify(secret).slice(1, -1)]);
	try {
		forms.add(encodeURIComponent(secret));
	} catch {
		// a lone surrogate cannot be percent-encoded, so it cannot appear that way either
	}
	return [...forms];
}

export function redact(text: string, secrets: readonly string[]): string {
	const forms = secrets
		.filter((s) => s.length > 0)
		.flatMap(spellings)
		.sort((a, b) => b.length - a.length);
	let out = text;
	for (const form of forms) out = out.split(form).join(REDACTED);
	return out;
}

export function redactResponse(response: HttpResponse, secrets: readonly string[]): HttpResponse {
	const headers: Record<string, string> = {};
	for (const [name, value] of Object.entries(response.headers))
		headers[name] = redact(value, secrets);
	return { ...response, headers, body: redact(response.body, secrets) };
}

/**
 * Wraps a transport so that nothing it returns or throws carries a secret. `secrets` is read on
 * every call because a refreshed JWT is a new secret.
 */
export function redactingTransport(inner: Transport, secrets: () => readonly string[]): Transport {
	return {
		async send(request) {
			try {
				return redactResponse(await inner.send(request), secrets());
			} catch (error) {
				if (error instanceof TransportError) {
					throw new TransportError(error.kind, redact(error.message, secrets()), error.code);
				}
				// Outside the contract (a bug in a transport): still never let its text carry a secret.
				throw new Error(redact(error instanceof Error ? error.message : String(error), secrets()));
			}
		},
	};
}
