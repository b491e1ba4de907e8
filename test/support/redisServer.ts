/**
 * A redis-server of a test file's own: Debian's binary (`scripts/redis.sh`), on 127.0.0.1 and a free
 * port, nothing saved to disk, stopped by its PID.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import Redis, { Cluster } from 'ioredis';
import { freePort } from '../../e2e/n8n';

const REPO_ROOT = join(__dirname, '..', '..');

export interface RedisServer {
	port: number;
	/** A new connection to it (each one stands for a worker); closed by `stop`. */
	connect(): Redis;
	/** A new Cluster client (`cluster: true` only); closed by `stop`. */
	connectCluster(): Cluster;
	stop(): Promise<void>;
}

/**
 * `cluster: true`: a one-node Redis Cluster holding every slot. One node is enough to test what
 * Cluster refuses — a command or script whose keys hash to different slots (CROSSSLOT).
 */
export async function startRedis(options: { cluster?: boolean } = {}): Promise<RedisServer> {
	const binary = execFileSync('bash', [join(REPO_ROOT, 'scripts/redis.sh')], {
		encoding: 'utf8',
		stdio: ['ignore', 'pipe', 'inherit'],
	}).trim();
	const port = await freePort();
	const dir = mkdtempSync(join(tmpdir(), 'offboarding-redis-'));
	const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
	if (options.cluster) {
		const busPort = await freePort();
		args.push('--cluster-enabled', 'yes', '--cluster-config-file', join(dir, 'nodes.conf'));
		// A lone node learns no address of its own from peers: without this it announces "".
		args.push('--cluster-port', String(busPort), '--cluster-announce-ip', '127.0.0.1');
	}
	const child: ChildProcess = spawn(binary, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
	let output = '';
	child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
	child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
	const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
	const clients: Array<Redis | Cluster> = [];
	const connect = (): Redis => {
		const client = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1 });
		clients.push(client);
		return client;
	};
	const connectCluster = (): Cluster => {
		const client = new Cluster([{ host: '127.0.0.1', port }], {
			redisOptions: { maxRetriesPerRequest: 1 },
		});
		clients.push(client);
		return client;
	};
	const stop = async (): Promise<void> => {
		await Promise.all(clients.map((client) => client.quit().catch(() => undefined)));
		if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGTERM');
		await exited;
		rmSync(dir, { recursive: true, force: true });
	};
	try {
		await untilPong(port, child, () => output);
		if (options.cluster) await takeEverySlot(connect());
	} catch (error) {
		await stop();
		throw error;
	}
	return { port, connect, connectCluster, stop };
}

/** Ready when it answers PING (a few ms; 5 s at most). */
async function untilPong(port: number, child: ChildProcess, output: () => string): Promise<void> {
	for (let tries = 0; ; tries++) {
		const probe = new Redis({
			host: '127.0.0.1',
			port,
			lazyConnect: true,
			retryStrategy: () => null,
		});
		probe.on('error', () => undefined);
		try {
			await probe.connect();
			await probe.ping();
			return;
		} catch (error) {
			if (child.exitCode !== null || tries >= 100)
				throw new Error(
					`redis-server on port ${port} did not start: ${String(error)}\n${output()}`,
				);
			await delay(50);
		} finally {
			probe.disconnect();
		}
	}
}

/** Assigns all 16384 slots to the one node and waits until the cluster says it is ok. */
async function takeEverySlot(node: Redis): Promise<void> {
	await node.call('CLUSTER', 'ADDSLOTSRANGE', '0', '16383');
	for (let tries = 0; tries < 100; tries++) {
		const info = String(await node.call('CLUSTER', 'INFO'));
		if (info.includes('cluster_state:ok')) return;
		await delay(50);
	}
	throw new Error('the one-node Redis Cluster never reached cluster_state:ok');
}
