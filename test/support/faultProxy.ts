/**
 * A reverse proxy on 127.0.0.1 that injects faults in front of a real server (a SCIM server of
 * `scimServers.ts`), so the server's own state stays the ground truth while the client sees
 * throttling, outages, lost connections and lost answers. node:http only.
 *
 * A request takes the first rule that matches it and still has `times` left (and uses one up);
 * a request no rule takes is forwarded untouched: method, path and query, headers (Host, If-Match
 * and the rest) and body as received, and the target's answer as it came (status, headers such as
 * ETag and Retry-After, body).
 *
 * The fault names follow `sandbox/emulator.ts`: `status429`/`status503`/`status500` (an answer
 * from the proxy, the target never asked), `reset` (the connection destroyed before any answer,
 * the target never asked), and `actThenReset` — the emulator's `actThenFail` with the answer lost
 * instead of turned into a 500: the target acts, then the client's connection is destroyed.
 * `delayMs` holds the request that long, then forwards it.
 */
import {
	createServer,
	request as httpRequest,
	type IncomingMessage,
	type Server,
	type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type ProxyFault =
	| { kind: 'status'; status: 429 | 503 | 500; retryAfter?: string; body?: string }
	| { kind: 'reset' }
	| { kind: 'delayMs'; ms: number }
	| { kind: 'actThenReset' };

export interface FaultRule {
	/** Exact HTTP method (any when absent). */
	method?: string;
	/** A substring of the raw request URL, path and query (any when absent). */
	pathIncludes?: string;
	fault: ProxyFault;
	/** How many matching requests the rule takes before it is used up. */
	times: number;
}

export interface ProxyLogEntry {
	method: string;
	/** The raw request URL (path and query), as received. */
	path: string;
	/** `status429`, `status503`, `status500`, `reset`, `delayMs`, `actThenReset`, `upstreamError`. */
	fault?: string;
	/**
	 * The status the target answered, or the proxy's own for a `status` fault; for `actThenReset`
	 * the target's status the client never saw; absent when there was no answer from anyone.
	 */
	status?: number;
}

export interface FaultProxy {
	/** The proxy's URL with the target's path, e.g. http://127.0.0.1:PROXY/scim/v2. */
	url: string;
	/** Every request, in arrival order (appended on arrival, fault and status filled in as it goes). */
	log: ProxyLogEntry[];
	/** Replaces the rules (the new rules' `times` start afresh). */
	setPlan(plan: FaultRule[]): void;
	stop(): Promise<void>;
}

export async function startFaultProxy(target: string, plan: FaultRule[]): Promise<FaultProxy> {
	const targetUrl = new URL(target);
	if (targetUrl.protocol !== 'http:') throw new Error(`fault proxy: http targets only (${target})`);
	let rules: FaultRule[] = structuredClone(plan);
	const log: ProxyLogEntry[] = [];
	const sockets = new Set<Socket>();

	const take = (req: IncomingMessage): ProxyFault | undefined => {
		const rule = rules.find(
			(r) =>
				r.times > 0 &&
				(r.method === undefined || r.method === req.method) &&
				(r.pathIncludes === undefined || (req.url ?? '').includes(r.pathIncludes)),
		);
		if (rule === undefined) return undefined;
		rule.times--;
		return rule.fault;
	};

	const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
		const entry: ProxyLogEntry = { method: req.method ?? 'GET', path: req.url ?? '/' };
		log.push(entry);
		const fault = take(req);
		if (fault?.kind === 'reset') {
			entry.fault = 'reset';
			req.socket.destroy();
			return;
		}
		if (fault?.kind === 'status') {
			entry.fault = `status${fault.status}`;
			entry.status = fault.status;
			req.resume(); // the body is read and dropped: the target never sees this request
			const headers: Record<string, string> = { 'content-type': 'application/json' };
			if (fault.retryAfter !== undefined) headers['retry-after'] = fault.retryAfter;
			const body = fault.body ?? JSON.stringify({ message: `injected ${fault.status}` });
			res.writeHead(fault.status, headers).end(body);
			return;
		}
		if (fault?.kind === 'delayMs') {
			entry.fault = 'delayMs';
			await new Promise((resolve) => setTimeout(resolve, fault.ms));
		}
		const actThenReset = fault?.kind === 'actThenReset';
		if (actThenReset) entry.fault = 'actThenReset';

		const upstream = httpRequest({
			host: targetUrl.hostname,
			port: targetUrl.port,
			method: req.method,
			path: req.url,
			headers: req.headers,
		});
		upstream.on('response', (answer) => {
			entry.status = answer.statusCode;
			if (actThenReset) {
				// The target has acted and answered; the client never hears of it.
				answer.resume();
				answer.once('end', () => req.socket.destroy());
				return;
			}
			res.writeHead(answer.statusCode ?? 502, answer.statusMessage, answer.headers);
			answer.pipe(res);
		});
		upstream.on('error', (error) => {
			entry.fault ??= 'upstreamError';
			if (res.headersSent || actThenReset) req.socket.destroy();
			else
				res
					.writeHead(502, { 'content-type': 'application/json' })
					.end(JSON.stringify({ message: `fault proxy: target unreachable: ${error.message}` }));
		});
		req.pipe(upstream);
	};

	const server: Server = createServer((req, res) => {
		void handle(req, res);
	});
	server.on('connection', (socket) => {
		sockets.add(socket);
		socket.on('close', () => sockets.delete(socket));
	});
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => resolve());
	});
	const { port } = server.address() as AddressInfo;
	const basePath = targetUrl.pathname.replace(/\/$/, '');

	return {
		url: `http://127.0.0.1:${port}${basePath}`,
		log,
		setPlan(next: FaultRule[]): void {
			rules = structuredClone(next);
		},
		async stop(): Promise<void> {
			for (const socket of sockets) socket.destroy();
			await new Promise<void>((resolve) => server.close(() => resolve()));
		},
	};
}
