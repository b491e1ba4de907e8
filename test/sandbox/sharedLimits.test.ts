/**
 * Two workers, one limit: two limiter registries, each over its own Redis connection (as two n8n
 * workers have), run two batches at once against the Flashback emulator over HTTP, whose hidden
 * limit is the same as the explicit Max Rate. Shared in Redis, the two together stay within it; the
 * control — each worker's own memory, as before this store — sends twice the limit.
 */
import { LimiterRegistry } from '../../src/engine/limiter';
import { RedisLimitStore } from '../../src/engine/limits/redisStore';
import { MemoryLimitStore } from '../../src/engine/limits/store';
import type { PairOutcome } from '../../src/engine/outcome';
import { runRemovals } from '../../src/engine/run';
import { realClock } from '../../src/engine/clock';
import {
	chooseLimitStore,
	closeSharedLimitStores,
	queueRedisTarget,
	sharedLimitsRedisTest,
} from '../../src/n8n/limitStore';
import { processLimiters } from '../../src/engine/limiter';
import { DEMO_SCOPES, type Sandbox, startSandbox } from '../../sandbox';
import { countBy } from '../support/engine';
import { recordReliability } from '../support/reliability';
import { type RedisServer, startRedis } from '../support/redisServer';
import { sandboxRuntimes } from '../support/sandboxRuntimes';

jest.setTimeout(60_000);

let redis: RedisServer;
let sandbox: Sandbox;
beforeAll(async () => {
	redis = await startRedis();
});
afterAll(async () => {
	// The clients chooseLimitStore opened would reconnect forever and keep jest from exiting.
	closeSharedLimitStores();
	await redis?.stop();
});
beforeEach(async () => {
	sandbox = await startSandbox();
});
afterEach(async () => {
	await sandbox.close();
});

const RATE = 20;
const USERS = 60;

async function worker(limiters: LimiterRegistry, prefix: string): Promise<PairOutcome[]> {
	const workspace = DEMO_SCOPES.flashback.workspaceId;
	const runtime = sandboxRuntimes(sandbox, {
		ratePerSecond: RATE,
		maxRatePerSecond: RATE,
	}).flashback;
	const pairs = Array.from({ length: USERS }, (_, i) => {
		const userId = `${prefix}${i + 1}`;
		sandbox.flashback.addMember(workspace, userId);
		return {
			id: userId,
			row: i + 1,
			system: 'flashback' as const,
			scope: { workspaceId: workspace },
			userId,
		};
	});
	const out: PairOutcome[] = [];
	for await (const outcome of runRemovals(pairs, { systems: { flashback: runtime }, limiters }))
		out.push(outcome);
	return out;
}

/** The most requests the emulator received in any one second (sliding, at each request). */
function busiestSecond(): number {
	const at = sandbox.flashback
		.removalRequests()
		.map((r) => r.at)
		.sort((a, b) => a - b);
	let most = 0;
	for (let i = 0, j = 0; i < at.length; i++) {
		while (at[i] - at[j] >= 1_000) j++;
		most = Math.max(most, i - j + 1);
	}
	return most;
}

async function redisWorker(): Promise<LimiterRegistry> {
	const store = new RedisLimitStore(redis.connect());
	await store.syncClock();
	return new LimiterRegistry({ now: () => store.now(), sleep: realClock.sleep }, store);
}

describe('two workers, one limit', () => {
	it('shared in Redis: together within the limit in every second, nobody removed twice', async () => {
		sandbox.flashback.configure({
			rateLimit: { rate: RATE, burst: 2, headers: 'retry-after-seconds' },
		});
		const [a, b] = await Promise.all([
			worker(await redisWorker(), 'a'),
			worker(await redisWorker(), 'b'),
		]);
		const requests = sandbox.flashback.removalRequests();
		const acting = countBy(
			requests.filter((r) => r.acted),
			(r) => r.rawUrl,
		);
		expect(countBy([...a, ...b], (o) => o.status)).toEqual({ removed: 2 * USERS });
		expect(Object.values(acting).filter((n) => n > 1)).toEqual([]);
		expect(requests.filter((r) => r.status === 429).length).toBeLessThanOrEqual(2);
		// The explicit Max Rate holds for both workers together (+1 for a second's edges).
		recordReliability({
			table: 'Limits across workers',
			case: `two workers (two Redis connections) × ${USERS} users, hidden limit ${RATE}/s (burst 2, Retry-After), shared in Redis`,
			expected: `removed ${2 * USERS}, each once · ≤ 2 answered 429 · ≤ ${RATE + 1} requests in any second`,
			observed: `${Object.entries(countBy([...a, ...b], (o) => o.status))
				.map(([k, v]) => `${k} ${v}`)
				.join(
					', ',
				)} · ${Object.values(acting).filter((n) => n > 1).length} removed twice · ${requests.filter((r) => r.status === 429).length} answered 429 · busiest second ${busiestSecond()}`,
		});
		expect(busiestSecond()).toBeLessThanOrEqual(RATE + 1);
	});

	it('Max Rate is one limit for all workers: shared, never above it in any second; each its own memory (the control), twice it', async () => {
		// No hidden limit: only the explicit maximum holds the workers back.
		const shared = await Promise.all([
			worker(await redisWorker(), 'a'),
			worker(await redisWorker(), 'b'),
		]);
		expect(countBy(shared.flat(), (o) => o.status)).toEqual({ removed: 2 * USERS });
		const sharedBusiest = busiestSecond();
		sandbox.flashback.requests.length = 0;
		const own = () => new LimiterRegistry(realClock, new MemoryLimitStore(realClock));
		const control = await Promise.all([worker(own(), 'c'), worker(own(), 'd')]);
		expect(countBy(control.flat(), (o) => o.status)).toEqual({ removed: 2 * USERS });
		const controlBusiest = busiestSecond();
		recordReliability({
			table: 'Limits across workers',
			case: `two workers (two Redis connections) × ${USERS} users, Max Rate ${RATE}/s, no hidden limit`,
			expected: `shared: ≤ ${RATE + 1} requests in any second · each its own memory: about twice`,
			observed: `shared: busiest second ${sharedBusiest} · own memory: busiest second ${controlBusiest}`,
		});
		expect(sharedBusiest).toBeLessThanOrEqual(RATE + 1);
		expect(controlBusiest).toBeGreaterThan(RATE * 1.5);
	});
});

describe('which store a run uses', () => {
	it("regular mode: this process's memory; OFFBOARDING_LIMIT_STORE=memory forces it in queue mode", async () => {
		expect(await chooseLimitStore(undefined, {})).toEqual({
			kind: 'memory',
			limiters: processLimiters,
		});
		expect(
			await chooseLimitStore(undefined, {
				EXECUTIONS_MODE: 'queue',
				OFFBOARDING_LIMIT_STORE: 'memory',
			}),
		).toEqual({ kind: 'memory', limiters: processLimiters });
	});

	it("queue mode: n8n's own Redis from QUEUE_BULL_REDIS_*, one registry per Redis; a Redis credential wins", async () => {
		const env = {
			EXECUTIONS_MODE: 'queue',
			QUEUE_BULL_REDIS_HOST: '127.0.0.1',
			QUEUE_BULL_REDIS_PORT: String(redis.port),
		};
		const first = await chooseLimitStore(undefined, env);
		const again = await chooseLimitStore(undefined, env);
		expect(first.kind).toBe('redis (n8n queue mode)');
		expect(first.limiters.store).toBeInstanceOf(RedisLimitStore);
		expect(again.limiters).toBe(first.limiters);
		expect(await first.limiters.store.claimOnce('probe', 1_000)).toBe(true);
		const credential = await chooseLimitStore(
			{ host: '127.0.0.1', port: redis.port, database: 0 },
			{},
		);
		expect(credential.kind).toBe('redis (credential)');
		expect(await credential.limiters.store.claimOnce('probe', 1_000)).toBe(false);
	});

	it('tests a Shared Limits Redis credential: PONG from a Redis, an error naming no password otherwise', async () => {
		const test = (data: Record<string, unknown>) =>
			sharedLimitsRedisTest.call(
				{} as never,
				{ id: 'c', name: 'r', type: 'sharedLimitsRedisApi', data } as never,
			);
		expect(await test({ host: '127.0.0.1', port: redis.port, database: 0 })).toEqual({
			status: 'OK',
			message: 'Redis answered PONG',
		});
		const refused = await test({ host: '127.0.0.1', port: 1, password: 'pw-never-shown' });
		expect(refused.status).toBe('Error');
		expect(refused.message).toMatch(/^Redis did not answer: .*ECONNREFUSED 127\.0\.0\.1:1/);
		expect(refused.message).not.toContain('pw-never-shown');
	});

	it("reads n8n's settings as n8n does: defaults, database, user, password, TLS, a cluster", () => {
		expect(queueRedisTarget({})).toEqual({ options: { host: 'localhost', port: 6379, db: 0 } });
		expect(
			queueRedisTarget({
				QUEUE_BULL_REDIS_HOST: 'redis.internal',
				QUEUE_BULL_REDIS_PORT: '6380',
				QUEUE_BULL_REDIS_DB: '2',
				QUEUE_BULL_REDIS_USERNAME: 'n8n',
				QUEUE_BULL_REDIS_PASSWORD: 'pw',
				QUEUE_BULL_REDIS_TLS: 'true',
				QUEUE_BULL_REDIS_TLS_VALIDATE_CERTIFICATE: 'false',
				QUEUE_BULL_REDIS_CLUSTER_NODES: 'r1:7000, r2:7001',
			}),
		).toEqual({
			options: {
				host: 'redis.internal',
				port: 6380,
				db: 2,
				username: 'n8n',
				password: 'pw',
				tls: { rejectUnauthorized: false },
			},
			clusterNodes: [
				{ host: 'r1', port: 7000 },
				{ host: 'r2', port: 7001 },
			],
		});
	});
});
