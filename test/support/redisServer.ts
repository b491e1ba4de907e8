/**
 * A redis-server of a test file's own: Debian's binary (`scripts/redis.sh`), on 127.0.0.1 and a free
 * port, nothing saved to disk, stopped by its PID.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import Redis from 'ioredis';
import { freePort } from '../../e2e/n8n';

const REPO_ROOT = join(__dirname, '..', '..');

export interface RedisServer {
	port: number;
	/** A new connection to it (each one stands for a worker); closed by `stop`. */
	connect(): Redis;
	stop(): Promise<void>;
}

export async function startRedis(): Promise<RedisServer> {
	const binary = execFileSync('bash', [join(REPO_ROOT, 'scripts/redis.sh')], {
		encoding: 'utf8',
		stdio: ['ignore', 'pipe', 'inherit'],
	}).trim();
	const port = await freePort();
	const dir = mkdtempSync(join(tmpdir(), 'offboarding-redis-'));
	const child: ChildProcess = spawn(
		binary,
		['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
		{ cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
	);
	let output = '';
	child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
	child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
	const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
	const clients: Redis[] = [];
	const connect = (): Redis => {
		const client = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1 });
		clients.push(client);
		return client;
	};
	const stop = async (): Promise<void> => {
		await Promise.all(clients.map((client) => client.quit().catch(() => undefined)));
		if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGTERM');
		await exited;
		rmSync(dir, { recursive: true, force: true });
	};
	// Ready when it answers PING (a few ms; 5 s at most).
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
			return { port, connect, stop };
		} catch (error) {
			if (child.exitCode !== null || tries >= 100) {
				await stop();
				throw new Error(`redis-server on port ${port} did not start: ${String(error)}\n${output}`);
			}
			await delay(50);
		} finally {
			probe.disconnect();
		}
	}
}
