/** The transport contract over Node's built-in fetch (undici), for the sandbox, tests and benchmarks. */
import {
	type Authenticate,
	type HttpRequest,
	type HttpResponse,
	type Transport,
	TransportError,
	transportErrorKind,
} from './types';

export interface FetchTransportOptions {
	authenticate?: Authenticate;
	/** Renews the credential (a JWT login); used on a 401 when the request allows a refresh. */
	refreshCredential?: () => Promise<unknown>;
	/** Aborts every request of this transport (an execution's cancel signal). */
	signal?: AbortSignal;
}

export function createFetchTransport(options: FetchTransportOptions = {}): Transport {
	const sendOnce = async (unauthenticated: HttpRequest): Promise<HttpResponse> => {
		const request = options.authenticate
			? await options.authenticate(unauthenticated)
			: unauthenticated;
		const timeout = AbortSignal.timeout(request.timeoutMs);
		const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
		const headers: Record<string, string> = {
			accept: 'application/json',
			...request.headers,
		};
		let body: string | undefined;
		if (request.body !== undefined) {
			body = JSON.stringify(request.body);
			headers['content-type'] ??= 'application/json';
		}
		try {
			const response = await fetch(request.url, {
				method: request.method,
				headers,
				body,
				redirect: 'manual',
				signal,
			});
			const text = await response.text();
			const responseHeaders: Record<string, string> = {};
			response.headers.forEach((value, name) => {
				responseHeaders[name] = value;
			});
			return { status: response.status, headers: responseHeaders, body: text };
		} catch (error) {
			throw toTransportError(error, request.timeoutMs, timeout.aborted);
		}
	};
	return {
		async send(request: HttpRequest): Promise<HttpResponse> {
			const response = await sendOnce(request);
			// As n8n does for an expirable credential: refresh once on a 401, then send again.
			if (response.status !== 401 || !request.allowCredentialRefresh || !options.refreshCredential)
				return response;
			await options.refreshCredential();
			return sendOnce(request);
		},
	};
}

function errorCode(error: unknown): string | undefined {
	for (let e: unknown = error, depth = 0; e && depth < 4; depth++) {
		const code = (e as { code?: unknown }).code;
		if (typeof code === 'string') return code;
		e = (e as { cause?: unknown }).cause;
	}
	return undefined;
}

function toTransportError(error: unknown, timeoutMs: number, timedOut: boolean): TransportError {
	if (timedOut)
		return new TransportError('timeout', `no answer within ${timeoutMs} ms`, 'ETIMEDOUT');
	const name = (error as { name?: unknown }).name;
	if (name === 'AbortError') return new TransportError('aborted', 'request aborted', 'ABORT_ERR');
	const code = errorCode(error);
	const kind = transportErrorKind(code) ?? 'connection';
	const cause = (error as { cause?: { message?: unknown } }).cause;
	const detail = typeof cause?.message === 'string' ? cause.message : String(error);
	return new TransportError(kind, `connection failed: ${detail}`, code);
}
