/**
 * The machinery every emulated API shares: routing on the raw path, the request log (ground truth),
 * a hidden rate limit, a concurrency cap, latency and injectable transient faults.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { type RateLimitConfig, TokenBucket } from './rateLimit';
import { type Random, seededRandom } from './random';

export type FaultKind =
	| 'status500'
	| 'status502'
	| 'status503'
	| 'reset' // the connection is destroyed before any answer
	| 'hang' // no answer at all until the client gives up
	| 'html502' // a proxy's HTML error page
	| 'redirect' // 302 to a page that answers 200 (a moved API or a login page): must not be followed
	| 'malformed200' // the removal happens, the answer is a truncated body
	| 'actThenFail' // the removal happens, the answer is a 500
	| 'echo' // a 500 whose message echoes the request, credentials included (a careless error page)
	| 'retryAfterPast' // 429 with a Retry-After date a minute in the past (a skewed clock): retry now
	| 'retryAfterHuge'; // 429 with Retry-After: 86400 (a daily quota): beyond any sane wait

/** Faults that happen after the removal took effect. */
const AFTER_ACTING: ReadonlySet<FaultKind> = new Set(['malformed200', 'actThenFail']);

export interface EmulatorConfig {
	rateLimit: RateLimitConfig | null;
	/**
	 * A request that finds `limit` removal requests in flight gets `status` at once (APIs answer 429
	 * or 503), with `Retry-After: retryAfterSeconds` when that is set.
	 */
	concurrencyCap: { limit: number; status: 429 | 503; retryAfterSeconds?: number } | null;
	latencyMs: { min: number; max: number };
	/** `script` is consumed first, one fault per removal request; then each kind fires at its `rate`. */
	faults: { script: Array<FaultKind | null>; rates: Partial<Record<FaultKind, number>> };
	seed: number;
}

export const DEFAULT_CONFIG: EmulatorConfig = {
	rateLimit: null,
	concurrencyCap: null,
	latencyMs: { min: 0, max: 0 },
	faults: { script: [], rates: {} },
	seed: 1,
};

export interface RecordedRequest {
	seq: number;
	at: number;
	method: string;
	/** As received, before any decoding. */
	rawUrl: string;
	route?: string;
	headers: Record<string, string | string[] | undefined>;
	body: string;
	status?: number;
	fault?: FaultKind;
	rateLimited?: boolean;
	/** Refused by the concurrency cap (answered its status at once, nothing done). */
	capped?: boolean;
	/** True when this request changed membership (a removal took effect). */
	acted: boolean;
	/** When the answer was sent (ms): with `at`, how long the system took. */
	answeredAt?: number;
	/** The answer's own headers (rate-limit announcements, Retry-After), as sent. */
	answerHeaders?: Record<string, string>;
}

export interface RouteContext {
	params: string[];
	headers: IncomingMessage['headers'];
	body: string;
	record: RecordedRequest;
}

export interface Reply {
	status: number;
	body: unknown;
	headers?: Record<string, string>;
	/** The request changed state; set by handlers that remove someone. */
	acted?: boolean;
}

export interface Route {
	name: string;
	method: string;
	/** Matched against the raw path; each `([^/]+)` group is percent-decoded into `params`. */
	pattern: RegExp;
	/** Subject to the rate limit, the concurrency cap, latency and faults (the removal calls). */
	guarded: boolean;
	handle(ctx: RouteContext): Reply | Promise<Reply>;
}

function sleep(ms: number): Promise<void> {
	return new Promise((resolve) => setTimeout(resolve, ms));
}

export abstract class Emulator {
	abstract readonly name: string;
	protected abstract routes(): Route[];
	/** Ground truth for the control endpoint: who is still a member of what. */
	abstract snapshot(): unknown;

	readonly requests: RecordedRequest[] = [];
	private config: EmulatorConfig = structuredClone(DEFAULT_CONFIG);
	private bucket: TokenBucket | null = null;
	private random: Random = seededRandom(DEFAULT_CONFIG.seed);
	private inFlight = 0;
	private server: Server | null = null;
	private readonly sockets = new Set<Socket>();
	private routeTable: Route[] | null = null;

	/** Base URL of the running server (without the system's own path prefix). */
	origin = '';

	configure(partial: Partial<EmulatorConfig>): void {
		this.config = { ...this.config, ...structuredClone(partial) };
		this.bucket = this.config.rateLimit ? new TokenBucket(this.config.rateLimit) : null;
		this.random = seededRandom(this.config.seed);
	}

	currentConfig(): EmulatorConfig {
		return structuredClone(this.config);
	}

	/** Removal requests only (what the rate limit and faults apply to). */
	removalRequests(): RecordedRequest[] {
		return this.requests.filter((r) => r.route !== undefined && this.isGuarded(r.route));
	}

	/** Requests whose path matched no route: an id that changed the path shows up here. */
	unmatchedRequests(): RecordedRequest[] {
		return this.requests.filter(
			(r) => r.route === undefined && !r.rawUrl.startsWith('/__sandbox/'),
		);
	}

	clearLog(): void {
		this.requests.length = 0;
	}

	async listen(port = 0, host = '127.0.0.1'): Promise<string> {
		const server = createServer((req, res) => {
			void this.dispatch(req, res);
		});
		server.on('connection', (socket) => {
			this.sockets.add(socket);
			socket.on('close', () => this.sockets.delete(socket));
		});
		await new Promise<void>((resolve, reject) => {
			server.once('error', reject);
			server.listen(port, host, () => resolve());
		});
		this.server = server;
		const address = server.address() as AddressInfo;
		this.origin = `http://${host}:${address.port}`;
		return this.origin;
	}

	async close(): Promise<void> {
		const server = this.server;
		if (!server) return;
		this.server = null;
		for (const socket of this.sockets) socket.destroy();
		await new Promise<void>((resolve) => server.close(() => resolve()));
	}

	private isGuarded(routeName: string): boolean {
		return this.table().some((r) => r.name === routeName && r.guarded);
	}

	private table(): Route[] {
		this.routeTable ??= this.routes();
		return this.routeTable;
	}

	private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
		const body = await readBody(req);
		const rawUrl = req.url ?? '/';
		const record: RecordedRequest = {
			seq: this.requests.length + 1,
			at: Date.now(),
			method: req.method ?? 'GET',
			rawUrl,
			headers: { ...req.headers },
			body,
			acted: false,
		};
		this.requests.push(record);

		if (rawUrl.startsWith('/__sandbox/')) return this.control(req, res, body, record);

		const path = rawUrl.split('?')[0];
		for (const route of this.table()) {
			const match = route.pattern.exec(path);
			if (!match || route.method !== req.method) continue;
			record.route = route.name;
			const params = match.slice(1).map(safeDecode);
			if (params.some((p) => p === undefined)) {
				return send(res, record, {
					status: 400,
					body: { message: 'Malformed percent-encoding in path' },
				});
			}
			const ctx: RouteContext = { params: params as string[], headers: req.headers, body, record };
			return route.guarded
				? this.guarded(route, ctx, res)
				: send(res, record, await route.handle(ctx));
		}
		send(res, record, { status: 404, body: '<html><body><h1>Not Found</h1></body></html>' });
	}

	private async guarded(route: Route, ctx: RouteContext, res: ServerResponse): Promise<void> {
		const { record } = ctx;
		const cap = this.config.concurrencyCap;
		if (cap && this.inFlight >= cap.limit) {
			record.capped = true;
			return send(res, record, {
				status: cap.status,
				body: { message: 'Too many concurrent requests' },
				headers:
					cap.retryAfterSeconds === undefined
						? {}
						: { 'retry-after': String(cap.retryAfterSeconds) },
			});
		}
		// The slot is taken in the same tick as the check (no await between them), so concurrent
		// requests cannot all pass a cap of 1; it is held until the answer is sent.
		this.inFlight++;
		try {
			const admission = this.bucket?.take();
			if (admission && !admission.allowed) {
				record.rateLimited = true;
				return send(res, record, {
					status: 429,
					body: { message: 'Too Many Requests' },
					headers: admission.headers,
				});
			}
			const limitHeaders = admission?.headers ?? {};

			const { min, max } = this.config.latencyMs;
			const latency = min + (max - min) * this.random();
			if (latency > 0) await sleep(latency);

			const fault = this.nextFault();
			if (fault) record.fault = fault;
			if (fault === 'reset') {
				record.status = 0;
				res.socket?.destroy();
				return;
			}
			if (fault === 'hang') {
				record.status = 0;
				// Held until the client gives up or the emulator closes: the socket is destroyed then.
				await new Promise<void>((resolve) => res.on('close', resolve));
				return;
			}
			if (fault === 'echo') {
				const echoed = { url: record.rawUrl, headers: ctx.headers, body: ctx.body };
				return send(res, record, {
					status: 500,
					body: { message: `Unhandled error for request ${JSON.stringify(echoed)}` },
					headers: { ...limitHeaders, 'x-echo-authorization': ctx.headers.authorization ?? '' },
				});
			}
			if (fault && !AFTER_ACTING.has(fault))
				return send(res, record, faultReply(fault, limitHeaders));

			const reply = await route.handle(ctx);
			record.acted = reply.acted === true;
			if (fault === 'malformed200') {
				return send(res, record, {
					status: 200,
					body: '{"success":tr',
					headers: { ...limitHeaders, 'content-type': 'application/json' },
				});
			}
			if (fault === 'actThenFail') return send(res, record, faultReply('status500', limitHeaders));
			send(res, record, { ...reply, headers: { ...limitHeaders, ...reply.headers } });
		} finally {
			this.inFlight--;
		}
	}

	private nextFault(): FaultKind | undefined {
		const { script, rates } = this.config.faults;
		if (script.length > 0) return script.shift() ?? undefined;
		const roll = this.random();
		let edge = 0;
		for (const [kind, rate] of Object.entries(rates) as Array<[FaultKind, number]>) {
			edge += rate;
			if (roll < edge) return kind;
		}
		return undefined;
	}

	private control(
		req: IncomingMessage,
		res: ServerResponse,
		body: string,
		record: RecordedRequest,
	): void {
		const path = (req.url ?? '').split('?')[0];
		if (path === MOVED_PATH) {
			return send(res, record, {
				status: 200,
				body: '<html><body>Moved here. Sign in to continue.</body></html>',
				headers: { 'content-type': 'text/html' },
			});
		}
		if (req.method === 'GET' && path === '/__sandbox/state') {
			return send(res, record, {
				status: 200,
				body: {
					system: this.name,
					state: this.snapshot(),
					removalRequests: this.removalRequests().length,
					unmatchedRequests: this.unmatchedRequests().length,
				},
			});
		}
		if (req.method === 'POST' && path === '/__sandbox/config') {
			try {
				this.configure(JSON.parse(body) as Partial<EmulatorConfig>);
			} catch {
				return send(res, record, { status: 400, body: { message: 'config must be JSON' } });
			}
			return send(res, record, { status: 200, body: this.currentConfig() });
		}
		send(res, record, { status: 404, body: { message: 'unknown control endpoint' } });
	}
}

/** Where the `redirect` fault points: a page that answers 200 to anything. */
export const MOVED_PATH = '/__sandbox/moved';

function faultReply(fault: FaultKind, headers: Record<string, string>): Reply {
	switch (fault) {
		case 'status502':
			return { status: 502, body: { message: 'Bad Gateway' }, headers };
		case 'status503':
			return { status: 503, body: { message: 'Service Unavailable' }, headers };
		case 'redirect':
			return { status: 302, body: '', headers: { ...headers, location: MOVED_PATH } };
		case 'retryAfterPast':
			return {
				status: 429,
				body: { message: 'Too Many Requests' },
				headers: { ...headers, 'retry-after': new Date(Date.now() - 60_000).toUTCString() },
			};
		case 'retryAfterHuge':
			return {
				status: 429,
				body: { message: 'Daily quota exceeded' },
				headers: { ...headers, 'retry-after': '86400' },
			};
		case 'html502':
			return {
				status: 502,
				body: '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>',
				headers: { ...headers, 'content-type': 'text/html' },
			};
		default:
			return { status: 500, body: { message: 'Internal Server Error' }, headers };
	}
}

function safeDecode(segment: string): string | undefined {
	try {
		return decodeURIComponent(segment);
	} catch {
		return undefined;
	}
}

async function readBody(req: IncomingMessage): Promise<string> {
	const chunks: Buffer[] = [];
	for await (const chunk of req) chunks.push(chunk as Buffer);
	return Buffer.concat(chunks).toString('utf8');
}

function send(res: ServerResponse, record: RecordedRequest, reply: Reply): void {
	record.status = reply.status;
	record.answeredAt = Date.now();
	record.answerHeaders = { ...reply.headers };
	const isText = typeof reply.body === 'string';
	const payload = isText ? (reply.body as string) : JSON.stringify(reply.body);
	res.writeHead(reply.status, {
		'content-type': isText ? 'text/html; charset=utf-8' : 'application/json',
		...reply.headers,
	});
	res.end(payload);
}

/** Reads `Authorization: Bearer <token>`. */
export function bearerToken(headers: IncomingMessage['headers']): string | undefined {
	const value = headers.authorization;
	const match = typeof value === 'string' ? /^Bearer (.+)$/.exec(value) : null;
	return match?.[1];
}

export function parseJsonBody(
	body: string,
): { ok: true; value: unknown } | { ok: false; error: string } {
	try {
		return { ok: true, value: JSON.parse(body) as unknown };
	} catch (error) {
		return { ok: false, error: (error as Error).message };
	}
}
