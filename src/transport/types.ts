/**
 * The transport contract (DESIGN §4): the only way the engine talks HTTP. n8n's helpers are adapted
 * to it in `src/n8n/`; `fetchTransport.ts` implements it for the sandbox, tests and benchmarks.
 */

export type HttpMethod = 'DELETE' | 'POST' | 'PATCH' | 'GET';

export interface HttpRequest {
	method: HttpMethod;
	url: string;
	headers: Record<string, string>;
	/** Sent as JSON when present. */
	body?: Record<string, unknown>;
	/** Whole-request deadline: connecting, sending and reading the body. */
	timeoutMs: number;
	/**
	 * On a 401, the transport may refresh an expirable credential (a JWT login) and send once more.
	 * The engine sets it on exactly one request at a time (the refresh gate, DESIGN §3).
	 */
	allowCredentialRefresh?: boolean;
}

export interface HttpResponse {
	status: number;
	/** Lower-case names; repeated headers joined with ", ". */
	headers: Record<string, string>;
	/** The body as text, undecoded: classifiers decide what a well-formed answer is. */
	body: string;
	/**
	 * The answer came from the credential's login (n8n's `preAuthentication` refreshing a JWT), not
	 * from the system's endpoint: the request itself was never sent with a fresh token.
	 */
	fromLogin?: true;
}

/** Why no HTTP answer came back. Every kind may have reached the server: none proves "not sent". */
export type TransportErrorKind = 'timeout' | 'connection' | 'aborted';

export class TransportError extends Error {
	override readonly name = 'TransportError';

	constructor(
		readonly kind: TransportErrorKind,
		message: string,
		readonly code?: string,
	) {
		super(message);
	}
}

/**
 * Resolves with the answer for every HTTP status (never throws for one), follows no redirect, and
 * rejects only with a `TransportError`.
 */
export interface Transport {
	send(request: HttpRequest): Promise<HttpResponse>;
}

/** Adds a credential to a request (a header, a body field); the one place a secret enters a request. */
export type Authenticate = (request: HttpRequest) => HttpRequest | Promise<HttpRequest>;

const CONNECTION_CODES = new Set([
	'ECONNRESET',
	'ECONNREFUSED',
	'ECONNABORTED',
	'EPIPE',
	'EHOSTUNREACH',
	'ENETUNREACH',
	'ENETDOWN',
	'ENOTFOUND',
	'EAI_AGAIN',
	'UND_ERR_SOCKET',
	'UND_ERR_CLOSED',
	'ERR_SOCKET_CONNECTION_TIMEOUT',
]);

const TIMEOUT_CODES = new Set([
	'ETIMEDOUT',
	'ESOCKETTIMEDOUT',
	'UND_ERR_CONNECT_TIMEOUT',
	'UND_ERR_HEADERS_TIMEOUT',
	'UND_ERR_BODY_TIMEOUT',
]);

/** Maps an error code from Node, undici or axios to the contract's kind; `undefined` if it is not one. */
export function transportErrorKind(code: string | undefined): TransportErrorKind | undefined {
	if (code === undefined) return undefined;
	if (TIMEOUT_CODES.has(code)) return 'timeout';
	if (CONNECTION_CODES.has(code)) return 'connection';
	if (code === 'ERR_CANCELED' || code === 'ABORT_ERR') return 'aborted';
	return undefined;
}
