/**
 * n8n 2.40.7 in queue mode on one machine, as production runs it (the measured recipe in
 * ../shared/N8N-QUEUE-MODE.md): a redis-server and a throwaway PostgreSQL of its own, one `n8n start`
 * (main: webhooks, enqueues executions) and N `n8n worker` processes (they run them), every n8n
 * process with its own user folder and its own copy of the packed package (each loads its nodes
 * from there at boot), one shared `N8N_ENCRYPTION_KEY`, its own task-broker and health ports.
 * Everything listens on 127.0.0.1 on free ports; every process is started in its own process group
 * and stopped by its PID (the group: n8n and its task runner), `close()` included after failures.
 */
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
	chownSync,
	closeSync,
	mkdirSync,
	mkdtempSync,
	openSync,
	readFileSync,
	rmSync,
	writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import Redis from 'ioredis';
import { type CredentialRecord, freePort, N8nInstance, type WorkflowRecord } from './n8n';
import { REPO_ROOT, type Runtime } from './runtime';

export interface QueueClusterOptions {
	runtime: Runtime;
	/** The packed package, installed into main's and every worker's `.n8n/nodes`. */
	tarball: string;
	/** A fresh directory: user folders, logs, Redis's and Postgres's data go under it. */
	root: string;
	workers: number;
	/** `n8n worker --concurrency` (executions at once per worker). */
	concurrency?: number;
	credentials: CredentialRecord[];
	/** Imported once; each with `active: true` is then published (its webhooks registered at start). */
	workflows: WorkflowRecord[];
	/**
	 * Webhook paths polled until main has registered them (404 until then). Each must refuse an
	 * unauthenticated empty POST before running anything (header auth): the poll must not enqueue
	 * executions.
	 */
	webhooks: string[];
	/** Environment of every n8n process (main, workers, CLI). */
	env?: Record<string, string>;
}

/** A child process in its own process group, its output appended to a log file. */
class Managed {
	readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

	constructor(
		readonly name: string,
		readonly child: ChildProcess,
	) {
		this.exited = new Promise((resolve) =>
			child.once('exit', (code, signal) => resolve({ code, signal })),
		);
	}

	get pid(): number {
		return this.child.pid ?? -1;
	}

	get running(): boolean {
		return this.child.exitCode === null && this.child.signalCode === null;
	}

	/** Sends `signal` to the whole group (the process and its children, e.g. n8n's task runner). */
	signal(signal: NodeJS.Signals): void {
		if (!this.running || this.pid < 0) return;
		try {
			process.kill(-this.pid, signal);
		} catch {
			// already gone
		}
	}

	/** `signal`, then SIGKILL to the group after `graceMs`; resolves when the process has exited. */
	async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 15_000): Promise<void> {
		if (!this.running) return;
		this.signal(signal);
		const timer = setTimeout(() => this.signal('SIGKILL'), graceMs);
		await this.exited;
		clearTimeout(timer);
		// Children that outlived their parent (a runner) go with the group.
		try {
			process.kill(-this.pid, 'SIGKILL');
		} catch {
			// the group is empty
		}
	}
}

/** Every process group any cluster started, killed if the test process exits without `close()`. */
const live = new Set<Managed>();
process.once('exit', () => {
	for (const managed of live) managed.signal('SIGKILL');
});

function launch(
	name: string,
	command: string,
	args: string[],
	options: { cwd: string; env: NodeJS.ProcessEnv; logFile: string },
): Managed {
	const fd = openSync(options.logFile, 'a');
	try {
		const child = spawn(command, args, {
			cwd: options.cwd,
			env: options.env,
			stdio: ['ignore', fd, fd],
			detached: true,
		});
		const managed = new Managed(name, child);
		live.add(managed);
		void managed.exited.then(() => live.delete(managed));
		return managed;
	} finally {
		closeSync(fd);
	}
}

/** The last lines of a log (the reason a process exited), for an error message; '' if none. */
function logTail(logFile: string | undefined, lines = 8): string {
	if (!logFile) return '';
	try {
		const tail = readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
		return tail ? `; its log ends:\n${tail}` : '';
	} catch {
		return '';
	}
}

async function until(
	what: string,
	timeoutMs: number,
	check: () => Promise<boolean>,
	alive: () => boolean = () => true,
	logFile?: string,
): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (Date.now() < deadline) {
		if (!alive()) throw new Error(`${what}: the process exited${logTail(logFile)}`);
		try {
			if (await check()) return;
		} catch {
			// not answering yet
		}
		await delay(200);
	}
	throw new Error(`${what}: not ready within ${timeoutMs / 1000} s`);
}

function runFile(
	command: string,
	args: string[],
	env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number; stdout: string; stderr: string }> {
	return new Promise((resolve) => {
		execFile(
			command,
			args,
			{ env, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
			(error, stdout, stderr) => {
				const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
				resolve({ code, stdout, stderr });
			},
		);
	});
}

interface WorkerSlot {
	n8n: N8nInstance;
	process?: Managed;
	healthPort: number;
}

export class QueueCluster {
	readonly main: N8nInstance;
	private readonly workers: WorkerSlot[];
	private mainProcess?: Managed;
	private redis?: Managed;
	private postgres?: Managed;
	readonly redisPort: number;
	readonly postgresPort: number;
	private readonly redisDir: string;
	private readonly postgresDir: string;
	private readonly commonEnv: Record<string, string>;
	private readonly pgBin: string;
	private readonly redisBin: string;

	private constructor(
		private readonly options: QueueClusterOptions,
		ports: { redis: number; postgres: number },
	) {
		this.redisPort = ports.redis;
		this.postgresPort = ports.postgres;
		this.redisDir = join(options.root, 'redis');
		mkdirSync(this.redisDir, { recursive: true });
		// Postgres refuses to run as root: its directory belongs to the postgres user, outside
		// `root` (mkdtemp makes 0700 directories the postgres user could not enter).
		this.postgresDir = mkdtempSync(join(tmpdir(), 'offboarding-pg-'));
		this.pgBin = execFileSync('bash', [join(REPO_ROOT, 'scripts/postgres.sh')], {
			encoding: 'utf8',
			stdio: ['ignore', 'pipe', 'inherit'],
		}).trim();
		this.redisBin = execFileSync('bash', [join(REPO_ROOT, 'scripts/redis.sh')], {
			encoding: 'utf8',
			stdio: ['ignore', 'pipe', 'inherit'],
		}).trim();
		this.commonEnv = {
			EXECUTIONS_MODE: 'queue',
			QUEUE_BULL_REDIS_HOST: '127.0.0.1',
			QUEUE_BULL_REDIS_PORT: String(this.redisPort),
			QUEUE_BULL_REDIS_DB: '0',
			// n8n exits after 10 s without Redis by default; the Redis-down test stops it for longer.
			QUEUE_BULL_REDIS_TIMEOUT_THRESHOLD: '120000',
			DB_TYPE: 'postgresdb',
			DB_POSTGRESDB_HOST: '127.0.0.1',
			DB_POSTGRESDB_PORT: String(this.postgresPort),
			DB_POSTGRESDB_DATABASE: 'n8n',
			DB_POSTGRESDB_USER: 'postgres',
			DB_POSTGRESDB_PASSWORD: 'unused-trust-auth',
			N8N_ENCRYPTION_KEY: randomBytes(24).toString('hex'),
			N8N_RUNNERS_BROKER_LISTEN_ADDRESS: '127.0.0.1',
			OFFLOAD_MANUAL_EXECUTIONS_TO_WORKERS: 'true',
			N8N_GRACEFUL_SHUTDOWN_TIMEOUT: '10',
			...options.env,
		};
		const instance = (name: string) =>
			new N8nInstance(options.runtime, {
				root: join(options.root, name),
				filesDir: join(options.root, name, 'files'),
				env: this.commonEnv,
			});
		this.main = instance('main');
		this.workers = Array.from({ length: options.workers }, (_, i) => ({
			n8n: instance(`worker${i}`),
			healthPort: 0,
		}));
	}

	/**
	 * Redis, Postgres, the package on every process, credentials and workflows imported once (main's
	 * CLI), then main and the workers, ready. Whatever started is stopped again if a step fails.
	 */
	static async start(options: QueueClusterOptions): Promise<QueueCluster> {
		const cluster = new QueueCluster(options, {
			redis: await freePort(),
			postgres: await freePort(),
		});
		try {
			await Promise.all([
				cluster.startRedis(),
				cluster.startPostgres(),
				cluster.main.installPackage(options.tarball),
				...cluster.workers.map((w) => w.n8n.installPackage(options.tarball)),
			]);
			await cluster.main.importCredentials(options.credentials);
			await cluster.importWorkflows(options.workflows);
			await Promise.all([
				cluster.startMain(),
				...cluster.workers.map((_, i) => cluster.startWorker(i)),
			]);
		} catch (error) {
			await cluster.close();
			throw error;
		}
		return cluster;
	}

	get baseUrl(): string {
		return this.main.baseUrl;
	}

	get workerCount(): number {
		return this.workers.length;
	}

	/** PIDs of the n8n processes (main, then each worker; -1 when not running). */
	pids(): { main: number; workers: number[] } {
		return {
			main: this.mainProcess?.running ? this.mainProcess.pid : -1,
			workers: this.workers.map((w) => (w.process?.running ? w.process.pid : -1)),
		};
	}

	private async importWorkflows(workflows: WorkflowRecord[]): Promise<void> {
		const file = join(this.options.root, 'workflows.json');
		writeFileSync(file, JSON.stringify(workflows));
		// `--activeState=fromJson` is accepted in queue mode but refused before an owner exists
		// ("User attempted to activate a workflow without permissions"): publish instead, before start.
		const result = await this.main.cli(['import:workflow', `--input=${file}`]);
		if (result.code !== 0)
			throw new Error(
				`n8n import:workflow exited ${result.code}:\n${result.stdout}${result.stderr}`,
			);
		for (const workflow of workflows)
			if (workflow.active === true) await this.main.publish(workflow.id);
	}

	// ---- Redis ---------------------------------------------------------------------------------

	/** Starts redis-server on its port (the same one after `stopRedis`), with the data it saved. */
	async startRedis(): Promise<void> {
		if (this.redis?.running) return;
		// A save point makes a shutdown write dump.rdb, and a restart load it: a restart keeps Bull's
		// jobs and the limits' keys, as a Redis with persistence would.
		this.redis = launch(
			'redis',
			this.redisBin,
			[
				'--port',
				String(this.redisPort),
				'--bind',
				'127.0.0.1',
				'--save',
				'3600 1',
				'--appendonly',
				'no',
				'--dir',
				this.redisDir,
			],
			{ cwd: this.redisDir, env: process.env, logFile: join(this.options.root, 'redis.log') },
		);
		const redis = this.redis;
		await until(
			`redis-server on ${this.redisPort}`,
			10_000,
			async () => {
				const probe = new Redis({
					host: '127.0.0.1',
					port: this.redisPort,
					lazyConnect: true,
					retryStrategy: () => null,
					maxRetriesPerRequest: 0,
				});
				probe.on('error', () => undefined);
				try {
					await probe.connect();
					return (await probe.ping()) === 'PONG';
				} finally {
					probe.disconnect();
				}
			},
			() => redis.running,
			join(this.options.root, 'redis.log'),
		);
	}

	/** Stops redis-server (SIGTERM: it saves and exits); the n8n processes lose their connections. */
	async stopRedis(): Promise<void> {
		await this.redis?.stop('SIGTERM', 10_000);
	}

	/** A client on the cluster's Redis (the caller quits it). */
	redisClient(): Redis {
		return new Redis({ host: '127.0.0.1', port: this.redisPort, maxRetriesPerRequest: 1 });
	}

	// ---- Postgres ------------------------------------------------------------------------------

	private asPostgres(command: string, args: string[]): [string, string[]] {
		if (process.getuid?.() !== 0) return [command, args];
		// setpriv execs (no fork): the PID spawned is the postmaster's (N8N-QUEUE-MODE.md §1, T11).
		return ['setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', command, ...args]];
	}

	private async startPostgres(): Promise<void> {
		const data = join(this.postgresDir, 'data');
		const socket = join(this.postgresDir, 'socket');
		mkdirSync(data);
		mkdirSync(socket);
		if (process.getuid?.() === 0) {
			const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
			const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
			for (const dir of [this.postgresDir, data, socket]) chownSync(dir, uid, gid);
		}
		const initdb = await runFile(
			...this.asPostgres(join(this.pgBin, 'initdb'), [
				'-D',
				data,
				'-U',
				'postgres',
				'--auth=trust',
				'-E',
				'UTF8',
				'--no-sync',
			]),
		);
		if (initdb.code !== 0) throw new Error(`initdb failed:\n${initdb.stdout}${initdb.stderr}`);
		const [command, args] = this.asPostgres(join(this.pgBin, 'postgres'), [
			'-D',
			data,
			'-p',
			String(this.postgresPort),
			'-k',
			socket,
			'-c',
			'listen_addresses=127.0.0.1',
			// A throwaway database: durability costs time and buys nothing here.
			'-c',
			'fsync=off',
			'-c',
			'synchronous_commit=off',
			'-c',
			'full_page_writes=off',
		]);
		this.postgres = launch('postgres', command, args, {
			cwd: this.postgresDir,
			env: process.env,
			logFile: join(this.options.root, 'postgres.log'),
		});
		const postgres = this.postgres;
		await until(
			`postgres on ${this.postgresPort}`,
			30_000,
			async () => (await this.psql('postgres', 'select 1')).code === 0,
			() => postgres.running,
			join(this.options.root, 'postgres.log'),
		);
		const created = await this.psql('postgres', 'create database n8n');
		if (created.code !== 0) throw new Error(`create database: ${created.stderr}`);
	}

	private psql(database: string, sql: string) {
		return runFile('psql', [
			'-X',
			'-h',
			'127.0.0.1',
			'-p',
			String(this.postgresPort),
			'-U',
			'postgres',
			'-d',
			database,
			'-v',
			'ON_ERROR_STOP=1',
			'-At',
			'-F',
			'\t',
			'-c',
			sql,
		]);
	}

	/** Rows of a query on n8n's database, each a list of text columns. */
	async sql(query: string): Promise<string[][]> {
		const result = await this.psql('n8n', query);
		if (result.code !== 0) throw new Error(`psql: ${result.stderr}`);
		return result.stdout
			.split('\n')
			.filter((line) => line !== '')
			.map((line) => line.split('\t'));
	}

	// ---- n8n processes -------------------------------------------------------------------------

	private n8nProcess(
		name: string,
		instance: N8nInstance,
		args: string[],
		env: Record<string, string>,
	): Managed {
		return launch(
			name,
			join(this.options.runtime.nodeBinDir, 'node'),
			[this.options.runtime.n8nBin, ...args],
			{
				cwd: join(this.options.root),
				env: instance.env(env),
				logFile: instance.logFile,
			},
		);
	}

	/** `n8n start` in queue mode; resolves when it is ready and the webhooks are registered. */
	async startMain(env: Record<string, string> = {}): Promise<void> {
		if (this.mainProcess?.running) throw new Error('main is running');
		this.main.port ||= await freePort();
		const port = this.main.port;
		const main = this.n8nProcess('main', this.main, ['start'], {
			N8N_PORT: String(port),
			N8N_LISTEN_ADDRESS: '127.0.0.1',
			N8N_HOST: '127.0.0.1',
			N8N_PROTOCOL: 'http',
			N8N_EDITOR_BASE_URL: `http://127.0.0.1:${port}`,
			N8N_WEBHOOK_URL: `http://127.0.0.1:${port}/`,
			N8N_RUNNERS_BROKER_PORT: String(await freePort()),
			...env,
		});
		this.mainProcess = main;
		await until(
			`n8n main on ${port} (log: ${this.main.logFile})`,
			180_000,
			async () => {
				const ready = await fetch(`${this.baseUrl}/healthz/readiness`);
				await ready.arrayBuffer();
				if (!ready.ok) return false;
				for (const path of this.options.webhooks) {
					const response = await fetch(`${this.baseUrl}/webhook/${path}`, { method: 'POST' });
					await response.arrayBuffer();
					if (response.status === 404) return false;
				}
				return true;
			},
			() => main.running,
			this.main.logFile,
		);
	}

	async stopMain(): Promise<void> {
		await this.mainProcess?.stop();
	}

	/**
	 * `n8n worker` number `i` with the worker environment `env` (e.g. `OFFBOARDING_LIMIT_STORE`);
	 * resolves when its health endpoint says ready (it then takes jobs).
	 */
	async startWorker(i: number, env: Record<string, string> = {}): Promise<void> {
		const slot = this.workers[i];
		if (slot.process?.running) throw new Error(`worker ${i} is running`);
		slot.healthPort = await freePort();
		const worker = this.n8nProcess(
			`worker${i}`,
			slot.n8n,
			['worker', `--concurrency=${this.options.concurrency ?? 10}`],
			{
				N8N_RUNNERS_BROKER_PORT: String(await freePort()),
				QUEUE_HEALTH_CHECK_ACTIVE: 'true',
				QUEUE_HEALTH_CHECK_PORT: String(slot.healthPort),
				N8N_WORKER_SERVER_ADDRESS: '127.0.0.1',
				...env,
			},
		);
		slot.process = worker;
		await until(
			`n8n worker ${i} (log: ${slot.n8n.logFile})`,
			180_000,
			async () => {
				const response = await fetch(`http://127.0.0.1:${slot.healthPort}/healthz/readiness`);
				await response.arrayBuffer();
				return response.ok;
			},
			() => worker.running,
			slot.n8n.logFile,
		);
	}

	/** Stops worker `i` gracefully (SIGTERM: it finishes its jobs, up to the shutdown timeout). */
	async stopWorker(i: number): Promise<void> {
		await this.workers[i].process?.stop('SIGTERM', 20_000);
	}

	/** Kills worker `i` and its task runner at once (SIGKILL: an OOM kill, a lost machine). */
	async killWorker(i: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
		await this.workers[i].process?.stop(signal, 5_000);
	}

	/** Every worker stopped, then started again with `env` (all at once). */
	async restartWorkers(env: Record<string, string> = {}): Promise<void> {
		await Promise.all(this.workers.map((_, i) => this.stopWorker(i)));
		await Promise.all(this.workers.map((_, i) => this.startWorker(i, env)));
	}

	/** Which worker started each execution (its log's `Worker started execution N`): id → index. */
	executionsByWorker(): Map<string, number> {
		const out = new Map<string, number>();
		this.workers.forEach((slot, index) => {
			for (const match of readFileSync(slot.n8n.logFile, 'utf8').matchAll(
				/Worker started execution (\d+)/g,
			))
				out.set(match[1], index);
		});
		return out;
	}

	workerLog(i: number): string {
		return readFileSync(this.workers[i].n8n.logFile, 'utf8');
	}

	/** Stops everything by PID, n8n first; safe to call after any failure and more than once. */
	async close(options: { removeFiles?: boolean } = {}): Promise<void> {
		await Promise.all([
			this.mainProcess?.stop(),
			...this.workers.map((slot) => slot.process?.stop('SIGTERM', 20_000)),
		]);
		await Promise.all([
			this.postgres?.stop('SIGINT', 10_000), // fast shutdown
			this.redis?.stop('SIGTERM', 10_000),
		]);
		rmSync(this.postgresDir, { recursive: true, force: true });
		if (options.removeFiles) rmSync(this.options.root, { recursive: true, force: true });
	}
}
