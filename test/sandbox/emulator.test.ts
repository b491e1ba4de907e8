/** The emulators' shared machinery: rate-limit dialects, concurrency cap, latency, faults, control API. */
import { TransportError } from '../../src/transport/types';
import { createFetchTransport } from '../../src/transport/fetchTransport';
import {
	DEMO_CREDENTIALS,
	DEMO_SCOPES,
	startSandbox,
	type HeaderStyle,
	type Sandbox,
} from '../../sandbox';
import { TokenBucket } from '../../sandbox/rateLimit';
import { demoClient, removeWith, verdictOf } from '../support/sandboxClient';

let sandbox: Sandbox;
beforeAll(async () => {
	sandbox = await startSandbox();
});
afterAll(async () => {
	await sandbox.close();
});
beforeEach(() => {
	sandbox.flashback.configure({
		rateLimit: null,
		concurrencyCap: null,
		latencyMs: { min: 0, max: 0 },
		faults: { script: [], rates: {} },
		seed: 1,
	});
	sandbox.flashback.clearLog();
});

const fb = DEMO_SCOPES.flashback;
let nextUser = 0;
function member(): string {
	const id = `fb_m${++nextUser}`;
	sandbox.flashback.addMember(fb.workspaceId, id);
	return id;
}

async function rawRemove(userId: string) {
	return fetch(`${sandbox.baseUrls.flashback}/workspace/${fb.workspaceId}/users/${userId}`, {
		method: 'DELETE',
		headers: { authorization: `Bearer ${DEMO_CREDENTIALS.flashback.token}` },
	});
}

describe('token bucket headers, one per dialect of DESIGN §4', () => {
	const at = Date.UTC(2026, 10, 27, 12, 0, 0);
	function exhausted(style: HeaderStyle) {
		const bucket = new TokenBucket({ rate: 2, burst: 1, headers: style }, () => at);
		const first = bucket.take();
		return { first, second: bucket.take() };
	}

	it.each<[HeaderStyle, Record<string, string>, Record<string, string>]>([
		['retry-after-seconds', {}, { 'retry-after': '1' }],
		['retry-after-date', {}, { 'retry-after': 'Fri, 27 Nov 2026 12:00:01 GMT' }],
		[
			'draft10',
			{ 'ratelimit-policy': '"default";q=2;w=1', ratelimit: '"default";r=0;t=0' },
			{ 'ratelimit-policy': '"default";q=2;w=1', ratelimit: '"default";r=0;t=1' },
		],
		[
			'legacy',
			{ 'ratelimit-limit': '2', 'ratelimit-remaining': '0', 'ratelimit-reset': '0' },
			{ 'ratelimit-limit': '2', 'ratelimit-remaining': '0', 'ratelimit-reset': '1' },
		],
		[
			'x-ratelimit-epoch',
			{
				'x-ratelimit-limit': '2',
				'x-ratelimit-remaining': '0',
				'x-ratelimit-reset': String(at / 1000),
			},
			{
				'x-ratelimit-limit': '2',
				'x-ratelimit-remaining': '0',
				'x-ratelimit-reset': String(at / 1000 + 1),
			},
		],
		[
			'x-ratelimit-delta',
			{ 'x-ratelimit-limit': '2', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '0' },
			{ 'x-ratelimit-limit': '2', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '1' },
		],
		['none', {}, {}],
	])('%s', (style, onAllowed, onLimited) => {
		const { first, second } = exhausted(style);
		expect(first).toEqual({ allowed: true, headers: onAllowed });
		expect(second).toEqual({ allowed: false, headers: onLimited });
	});

	it('refills at the configured rate up to the burst', () => {
		let now = 0;
		const bucket = new TokenBucket({ rate: 10, burst: 3, headers: 'none' }, () => now);
		expect([1, 2, 3, 4].map(() => bucket.take().allowed)).toEqual([true, true, true, false]);
		now = 100; // one token
		expect([1, 2].map(() => bucket.take().allowed)).toEqual([true, false]);
		now = 10_000; // far later: still only a burst of 3
		expect([1, 2, 3, 4].map(() => bucket.take().allowed)).toEqual([true, true, true, false]);
	});
});

describe('the emulator over HTTP', () => {
	it('answers 429 with the configured dialect once the hidden limit is spent, and removes nobody then', async () => {
		sandbox.flashback.configure({
			rateLimit: { rate: 1, burst: 2, headers: 'retry-after-seconds' },
		});
		const users = [member(), member(), member()];
		const statuses = [];
		for (const user of users) statuses.push((await rawRemove(user)).status);
		expect(statuses).toEqual([200, 200, 429]);
		const limited = await rawRemove(member());
		expect(limited.headers.get('retry-after')).toBe('1');
		expect(sandbox.flashback.isMember(fb.workspaceId, users[2])).toBe(true);
		expect(sandbox.flashback.requests.filter((r) => r.rateLimited).length).toBe(2);
	});

	it.each([429, 503] as const)('caps concurrency, answering %i above the cap', async (status) => {
		sandbox.flashback.configure({
			concurrencyCap: { limit: 2, status },
			latencyMs: { min: 150, max: 150 },
		});
		const answers = await Promise.all(
			[member(), member(), member(), member()].map((u) => rawRemove(u)),
		);
		expect(answers.map((a) => a.status).sort()).toEqual([200, 200, status, status].sort());
	});

	it.each([
		['with Retry-After', 1, '1'],
		['with no header', undefined, null],
	] as const)(
		'a cap of 1 refuses concurrent clients with 503 %s, counts each refusal and removes nobody then',
		async (_, retryAfterSeconds, header) => {
			sandbox.flashback.configure({
				concurrencyCap: { limit: 1, status: 503, retryAfterSeconds },
				latencyMs: { min: 100, max: 100 },
			});
			const users = [member(), member(), member()];
			const answers = await Promise.all(users.map((u) => rawRemove(u)));

			expect(answers.map((a) => a.status)).toEqual([200, 503, 503]);
			for (const refused of answers.slice(1)) {
				expect(refused.headers.get('retry-after')).toBe(header);
				expect(await refused.json()).toEqual({ message: 'Too many concurrent requests' });
			}
			expect(users.map((u) => sandbox.flashback.isMember(fb.workspaceId, u))).toEqual([
				false,
				true,
				true,
			]);
			const log = sandbox.flashback.removalRequests();
			// Ground truth counts the refusals and keeps the header each answer carried.
			expect(
				log.map((r) => [r.status, r.capped === true, r.acted, r.answerHeaders?.['retry-after']]),
			).toEqual([
				[200, false, true, undefined],
				[503, true, false, header ?? undefined],
				[503, true, false, header ?? undefined],
			]);
		},
	);

	it('frees the slot when an answer is sent: one client at a time under a cap of 1 is never refused', async () => {
		sandbox.flashback.configure({
			concurrencyCap: { limit: 1, status: 503, retryAfterSeconds: 1 },
			latencyMs: { min: 20, max: 20 },
		});
		const statuses = [];
		for (const user of [member(), member(), member()])
			statuses.push((await rawRemove(user)).status);
		expect(statuses).toEqual([200, 200, 200]);
		expect(sandbox.flashback.requests.filter((r) => r.capped)).toEqual([]);
	});

	it('adds latency', async () => {
		sandbox.flashback.configure({ latencyMs: { min: 120, max: 120 } });
		const started = Date.now();
		expect((await rawRemove(member())).status).toBe(200);
		expect(Date.now() - started).toBeGreaterThanOrEqual(115);
	});

	it('serves ground truth and takes configuration on its control endpoints', async () => {
		const user = member();
		const state = (await (await fetch(`${sandbox.baseUrls.flashback}/__sandbox/state`)).json()) as {
			system: string;
			state: Record<string, string[]>;
		};
		expect(state.system).toBe('flashback');
		expect(state.state[fb.workspaceId]).toContain(user);
		const set = await fetch(`${sandbox.baseUrls.flashback}/__sandbox/config`, {
			method: 'POST',
			body: JSON.stringify({ rateLimit: { rate: 5, burst: 5, headers: 'draft10' } }),
		});
		expect(set.status).toBe(200);
		expect(sandbox.flashback.currentConfig().rateLimit).toEqual({
			rate: 5,
			burst: 5,
			headers: 'draft10',
		});
	});
});

describe('transient faults, as the client sees them', () => {
	const client = () => demoClient(sandbox, 'flashback');

	it.each([
		['status500', 500, 'Flashback failed on its side (500: Internal Server Error)'],
		['status502', 502, 'Flashback failed on its side (502: Bad Gateway)'],
		['status503', 503, 'Flashback failed on its side (503: Service Unavailable)'],
		['html502', 502, 'Flashback failed on its side (502: 502 Bad Gateway)'],
	] as const)('%s fails before acting', async (fault, httpStatus, reason) => {
		const user = member();
		sandbox.flashback.configure({ faults: { script: [fault], rates: {} } });
		expect(verdictOf(await removeWith(sandbox, 'flashback', client(), fb, user))).toEqual({
			kind: 'server_error',
			status: 'failed',
			httpStatus,
			reason,
		});
		expect(sandbox.flashback.isMember(fb.workspaceId, user)).toBe(true);
	});

	it('actThenFail removes the user, then answers 500', async () => {
		const user = member();
		sandbox.flashback.configure({ faults: { script: ['actThenFail'], rates: {} } });
		expect(verdictOf(await removeWith(sandbox, 'flashback', client(), fb, user))).toMatchObject({
			kind: 'server_error',
			httpStatus: 500,
		});
		expect(sandbox.flashback.isMember(fb.workspaceId, user)).toBe(false);
		expect(sandbox.flashback.requests.at(-1)).toMatchObject({
			fault: 'actThenFail',
			acted: true,
			status: 500,
		});
	});

	it('malformed200 removes the user, then answers a truncated body: uncertain', async () => {
		const user = member();
		sandbox.flashback.configure({ faults: { script: ['malformed200'], rates: {} } });
		expect(verdictOf(await removeWith(sandbox, 'flashback', client(), fb, user))).toMatchObject({
			kind: 'malformed_success',
			status: 'failed',
			httpStatus: 200,
		});
		expect(sandbox.flashback.isMember(fb.workspaceId, user)).toBe(false);
	});

	it('reset is a connection error', async () => {
		const user = member();
		sandbox.flashback.configure({ faults: { script: ['reset'], rates: {} } });
		const result = await removeWith(sandbox, 'flashback', client(), fb, user);
		expect(result).toMatchObject({ sent: true, transportError: { kind: 'connection' } });
		expect(sandbox.flashback.isMember(fb.workspaceId, user)).toBe(true);
	});

	it('hang is a timeout after the request deadline', async () => {
		const user = member();
		sandbox.flashback.configure({ faults: { script: ['hang'], rates: {} } });
		const result = await removeWith(sandbox, 'flashback', client(), fb, user, 200);
		expect(result).toMatchObject({
			sent: true,
			transportError: { kind: 'timeout', message: 'no answer within 200 ms' },
		});
		expect((result as { transportError: TransportError }).transportError).toBeInstanceOf(
			TransportError,
		);
	});

	it('fires random faults at their rates from a seed, the same way every time', async () => {
		const run = async () => {
			sandbox.flashback.configure({
				faults: { script: [], rates: { status503: 0.3, status500: 0.2 } },
				seed: 42,
			});
			const statuses = [];
			for (let i = 0; i < 40; i++) statuses.push((await rawRemove(member())).status);
			return statuses;
		};
		const first = await run();
		expect(await run()).toEqual(first);
		const count = (s: number) => first.filter((x) => x === s).length;
		expect(count(200) + count(500) + count(503)).toBe(40);
		expect(count(503)).toBeGreaterThan(3);
		expect(count(500)).toBeGreaterThan(1);
	});
});

describe('the plain transport', () => {
	it('does not follow a redirect', async () => {
		const { createServer } = await import('node:http');
		const server = createServer((_, res) => {
			res.writeHead(302, { location: '/elsewhere' });
			res.end();
		});
		await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
		const { port } = server.address() as { port: number };
		const answer = await createFetchTransport().send({
			method: 'DELETE',
			url: `http://127.0.0.1:${port}/x`,
			headers: {},
			timeoutMs: 2000,
		});
		expect(answer).toMatchObject({ status: 302, body: '' });
		expect(answer.headers.location).toBe('/elsewhere');
		await new Promise((resolve) => server.close(resolve));
	});

	it('turns a refused connection into a connection error', async () => {
		const { createServer } = await import('node:http');
		const server = createServer();
		await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
		const { port } = server.address() as { port: number };
		await new Promise((resolve) => server.close(resolve)); // nothing listens there now
		const error = await createFetchTransport()
			.send({ method: 'DELETE', url: `http://127.0.0.1:${port}/x`, headers: {}, timeoutMs: 2000 })
			.catch((e: unknown) => e);
		expect(error).toMatchObject({
			name: 'TransportError',
			kind: 'connection',
			code: 'ECONNREFUSED',
		});
	});
});
