/**
 * Which limit store a run uses (DESIGN §4 "Limits across workers"):
 *
 * - a **Redis credential** picked in the node (Shared Limits Redis API: n8n's Redis fields): that Redis;
 * - else, when n8n runs in **queue mode** (`EXECUTIONS_MODE=queue`): n8n's own Redis, read from the
 *   same `QUEUE_BULL_REDIS_*` settings n8n uses (with their `_FILE` variants), so every worker
 *   shares one limit with no configuration;
 * - else (regular mode): the process's memory, as before.
 *
 * `OFFBOARDING_LIMIT_STORE=memory` forces the process's memory (a troubleshooting switch, and the
 * control row of the queue-mode tests). One ioredis client and one limiter registry per Redis, for
 * the life of the process. Commands fail fast while Redis is unreachable (no offline queue): the
 * limiter then waits for it and, past its outage limit, fails the waiting pairs unsent — it never
 * falls back to a per-worker budget (see `maxStoreOutageMs`).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import IORedis, { type Cluster, type Redis, type RedisOptions } from 'ioredis';
import type {
	ICredentialDataDecryptedObject,
	ICredentialsDecrypted,
	ICredentialTestFunctions,
	INodeCredentialTestResult,
} from 'n8n-workflow';
import { sleep } from 'n8n-workflow';
import { LimiterRegistry, processLimiters } from '../engine/limiter';
import { RedisLimitStore } from '../engine/limits/redisStore';

export type LimitStoreKind = 'memory' | 'redis (n8n queue mode)' | 'redis (credential)';

export interface ChosenStore {
	kind: LimitStoreKind;
	limiters: LimiterRegistry;
}

type Env = Readonly<Record<string, string | undefined>>;

/** An n8n setting: `NAME`, or the contents of the file `NAME_FILE` names (as @n8n/config reads it). */
function setting(env: Env, name: string): string | undefined {
	const file = env[`${name}_FILE`];
	if (file) return readFileSync(file, 'utf8').trim();
	const value = env[name];
	return value === undefined || value === '' ? undefined : value;
}

export interface RedisTarget {
	/** `host:port` pairs of a Redis Cluster, when n8n is configured with one. */
	clusterNodes?: Array<{ host: string; port: number }>;
	options: RedisOptions;
}

/** n8n's own queue Redis, from its `QUEUE_BULL_REDIS_*` settings (defaults as n8n's). */
export function queueRedisTarget(env: Env = process.env): RedisTarget {
	const tls = setting(env, 'QUEUE_BULL_REDIS_TLS') === 'true';
	const options: RedisOptions = {
		host: setting(env, 'QUEUE_BULL_REDIS_HOST') ?? 'localhost',
		port: Number(setting(env, 'QUEUE_BULL_REDIS_PORT') ?? 6379),
		db: Number(setting(env, 'QUEUE_BULL_REDIS_DB') ?? 0),
		...(setting(env, 'QUEUE_BULL_REDIS_USERNAME')
			? { username: setting(env, 'QUEUE_BULL_REDIS_USERNAME') }
			: {}),
		...(setting(env, 'QUEUE_BULL_REDIS_PASSWORD')
			? { password: setting(env, 'QUEUE_BULL_REDIS_PASSWORD') }
			: {}),
		...(setting(env, 'QUEUE_BULL_REDIS_DUALSTACK') === 'true' ? { family: 0 } : {}),
		...(tls
			? {
					tls: {
						...(setting(env, 'QUEUE_BULL_REDIS_TLS_SERVERNAME')
							? { servername: setting(env, 'QUEUE_BULL_REDIS_TLS_SERVERNAME') }
							: {}),
						rejectUnauthorized:
							setting(env, 'QUEUE_BULL_REDIS_TLS_VALIDATE_CERTIFICATE') !== 'false',
					},
				}
			: {}),
	};
	const nodes = setting(env, 'QUEUE_BULL_REDIS_CLUSTER_NODES');
	if (!nodes) return { options };
	return {
		options,
		clusterNodes: nodes
			.split(',')
			.map((n) => n.trim())
			.filter((n) => n !== '')
			.map((n) => {
				const [host, port] = n.split(':');
				return { host, port: Number(port || 6379) };
			}),
	};
}

/** A Redis picked by the Shared Limits Redis credential (host, port, database, user, password, ssl). */
export function credentialRedisTarget(credentials: ICredentialDataDecryptedObject): RedisTarget {
	return {
		options: {
			host: String(credentials.host || 'localhost'),
			port: Number(credentials.port || 6379),
			db: Number(credentials.database || 0),
			...(credentials.user ? { username: String(credentials.user) } : {}),
			...(credentials.password ? { password: String(credentials.password) } : {}),
			...(credentials.ssl === true
				? { tls: { rejectUnauthorized: credentials.disableTlsVerification !== true } }
				: {}),
		},
	};
}

/** Fail fast while Redis is away, reconnect by itself: the limiter decides what waiting means. */
const CLIENT_OPTIONS: RedisOptions = {
	enableOfflineQueue: false,
	maxRetriesPerRequest: 1,
	connectTimeout: 5_000,
	commandTimeout: 5_000,
	retryStrategy: (times) => Math.min(times * 200, 2_000),
	lazyConnect: false,
};

const registries = new Map<string, Promise<LimiterRegistry>>();
const clients = new Set<Redis | Cluster>();

/** Closes every Redis client this process opened for shared limits (tests; n8n exits anyway). */
export function closeSharedLimitStores(): void {
	for (const client of clients) client.disconnect();
	clients.clear();
	registries.clear();
}

/** Which Redis this is, for the registry cache: a changed password gets a new client (hashed, never kept). */
function targetKey(target: RedisTarget): string {
	const { host, port, db, username, password } = target.options;
	const secret = password ? createHash('sha256').update(password).digest('hex') : null;
	return JSON.stringify([
		target.clusterNodes ?? null,
		host,
		port,
		db ?? 0,
		username ?? null,
		secret,
	]);
}

async function redisLimiters(target: RedisTarget): Promise<LimiterRegistry> {
	const client: Redis | Cluster = target.clusterNodes
		? new IORedis.Cluster(target.clusterNodes, {
				redisOptions: { ...target.options, ...CLIENT_OPTIONS },
				enableOfflineQueue: false,
			})
		: new IORedis({ ...target.options, ...CLIENT_OPTIONS });
	clients.add(client);
	// An unreachable Redis must not crash n8n: errors surface as failed commands (the limiter waits).
	client.on('error', () => undefined);
	// Commands fail while not connected (no offline queue): give the first connection a moment.
	await new Promise<void>((resolve) => {
		const timer = setTimeout(resolve, 2_000);
		client.once('ready', () => {
			clearTimeout(timer);
			resolve();
		});
	});
	const store = new RedisLimitStore(client);
	// Until the first reply the offset to the server's clock is 0 (one machine: exact enough).
	await store.syncClock().catch(() => undefined);
	return new LimiterRegistry(
		{ now: () => store.now(), sleep: async (ms, signal) => await sleep(ms, signal) },
		store,
	);
}

/** The limit store for a run: see the file comment for the order of choice. */
export async function chooseLimitStore(
	redisCredential: ICredentialDataDecryptedObject | undefined,
	env: Env = process.env,
): Promise<ChosenStore> {
	if (env.OFFBOARDING_LIMIT_STORE === 'memory')
		return { kind: 'memory', limiters: processLimiters };
	let target: RedisTarget;
	let kind: LimitStoreKind;
	if (redisCredential) {
		target = credentialRedisTarget(redisCredential);
		kind = 'redis (credential)';
	} else if (env.EXECUTIONS_MODE === 'queue') {
		target = queueRedisTarget(env);
		kind = 'redis (n8n queue mode)';
	} else return { kind: 'memory', limiters: processLimiters };
	const key = targetKey(target);
	let registry = registries.get(key);
	if (!registry) {
		registry = redisLimiters(target);
		registries.set(key, registry);
	}
	return { kind, limiters: await registry };
}

/** The Shared Limits Redis credential's Test button: connect, PING, say what answered. */
export async function sharedLimitsRedisTest(
	this: ICredentialTestFunctions,
	credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
	const target = credentialRedisTarget(credential.data ?? {});
	const client = new IORedis({
		...target.options,
		...CLIENT_OPTIONS,
		lazyConnect: true,
		retryStrategy: () => null,
	});
	// The connection's own error says why (refused, timeout, auth); the command's only "closed".
	let cause: Error | undefined;
	client.on('error', (error: Error) => {
		cause ??= error;
	});
	try {
		await client.connect();
		const pong = await client.ping();
		return { status: 'OK', message: `Redis answered ${pong}` };
	} catch (error) {
		// ioredis messages name the host and port or the auth failure, never the password.
		return {
			status: 'Error',
			message: `Redis did not answer: ${(cause ?? (error as Error)).message}`,
		};
	} finally {
		client.disconnect();
	}
}
