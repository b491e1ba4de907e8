/**
 * The transport contract over n8n's `httpRequestWithAuthentication`: n8n applies the credential
 * (and refreshes an expirable one), we get every status back as an answer, never a throw.
 */
import type { IAllExecuteFunctions, IHttpRequestOptions } from 'n8n-workflow';
import {
	type HttpRequest,
	type HttpResponse,
	type Transport,
	TransportError,
	transportErrorKind,
} from '../transport/types';

/** Any n8n context whose helpers include `httpRequestWithAuthentication` (execute, webhook, …). */
export type N8nRequestContext = IAllExecuteFunctions;

interface FullResponse {
	body: unknown;
	headers: Record<string, unknown>;
	statusCode: number;
}

interface AxiosLikeError {
	code?: string;
	message?: string;
	response?: { status: number; headers?: Record<string, unknown>; data?: unknown };
	config?: { url?: string };
	cause?: unknown;
}

export function createN8nTransport(context: N8nRequestContext, credentialType: string): Transport {
	return {
		async send(request: HttpRequest): Promise<HttpResponse> {
			const requestOptions: IHttpRequestOptions = {
				method: request.method,
				url: request.url,
				headers: { ...request.headers },
				json: true,
				// Raw text: classifiers judge malformed bodies themselves; axios would silently keep a string.
				encoding: 'text',
				returnFullResponse: true,
				// A request allowed to refresh lets n8n see its 401 as an error: n8n then runs the
				// credential's preAuthentication (a JWT login) and sends once more. The final answer,
				// 401 included, still comes back as a response.
				ignoreHttpStatusErrors: request.allowCredentialRefresh
					? { ignore: true, except: [401] }
					: true,
				// n8n replaces any abort signal with the execution's, so the deadline is axios' own timeout.
				timeout: request.timeoutMs,
				disableFollowRedirect: true,
			};
			if (request.body !== undefined) requestOptions.body = { ...request.body };
			try {
				const response = (await context.helpers.httpRequestWithAuthentication.call(
					context,
					credentialType,
					requestOptions,
				)) as FullResponse;
				return {
					status: response.statusCode,
					headers: lowerCaseHeaders(response.headers),
					body: bodyText(response.body),
				};
			} catch (error) {
				const axiosError = findAxiosError(error);
				if (axiosError?.response) {
					const { status, headers, data } = axiosError.response;
					const answer = { status, headers: lowerCaseHeaders(headers ?? {}), body: bodyText(data) };
					// Another URL answered: the credential's login, run by n8n to refresh the token.
					const answeredUrl = axiosError.config?.url;
					return answeredUrl !== undefined && answeredUrl !== request.url
						? { ...answer, fromLogin: true }
						: answer;
				}
				throw toTransportError(axiosError ?? (error as AxiosLikeError));
			}
		},
	};
}

/** n8n wraps the axios error in a NodeApiError (`cause`); the answer or the error code is in there. */
function findAxiosError(error: unknown): AxiosLikeError | undefined {
	for (let e: unknown = error, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
		const candidate = e as AxiosLikeError;
		if (candidate.response && typeof candidate.response.status === 'number') return candidate;
		if (typeof candidate.code === 'string' && transportErrorKind(candidate.code) !== undefined)
			return candidate;
		if (candidate.code === 'ECONNABORTED' || candidate.code === 'ERR_CANCELED') return candidate;
		e = candidate.cause;
	}
	return undefined;
}

function toTransportError(error: AxiosLikeError): TransportError {
	const code = error.code;
	const message = typeof error.message === 'string' ? error.message : 'request failed';
	// axios reports its own timeout as ECONNABORTED "timeout of N ms exceeded".
	if (code === 'ECONNABORTED' && /timeout/i.test(message))
		return new TransportError('timeout', message, 'ETIMEDOUT');
	return new TransportError(transportErrorKind(code) ?? 'connection', message, code);
}

function lowerCaseHeaders(headers: Record<string, unknown>): Record<string, string> {
	const out: Record<string, string> = {};
	for (const [name, value] of Object.entries(headers)) {
		if (value === undefined || value === null) continue;
		out[name.toLowerCase()] = Array.isArray(value) ? value.map(String).join(', ') : String(value);
	}
	return out;
}

function bodyText(body: unknown): string {
	if (body === undefined || body === null) return '';
	if (typeof body === 'string') return body;
	if (Buffer.isBuffer(body)) return body.toString('utf8');
	return JSON.stringify(body);
}
