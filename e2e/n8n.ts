/**
 * One real n8n 2.40.7 installation in its own user folder: the packed package installed where n8n
 * loads community packages (`<user folder>/.n8n/nodes`), its CLI (import, publish, execute) and its
 * server (`n8n start`, REST). Every process gets Node 24 first on PATH, loopback-only networking
 * and the user folder's own settings; nothing is shared with another instance.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import type { Runtime } from './runtime';

export interface CredentialRecord {
	id: string;
	name: string;
	type: string;
	data: Record<string, unknown>;
}

export interface WorkflowRecord {
	id: string;
	name: string;
	nodes: Array<{ name: string; type: string; parameters: Record<string, unknown> }>;
	[key: string]: unknown;
}

export interface CliResult {
	code: number;
	stdout: string;
	stderr: string;
}

/** What `n8n execute --rawOutput` prints: the execution, as stored. */
export interface ExecutionResult {
	status: string;
	finished: boolean;
	data: {
		resultData: {
			error?: { message: string };
			runData: Record<
				string,
				Array<{
					executionTime: number;
					error?: { message: string };
					hints?: Array<{ message: string }>;
					data?: {
						main: Array<Array<{ json: Record<string, unknown>; binary?: Record<string, unknown> }>>;
					};
				}>
			>;
		};
	};
}

export interface Owner {
	email: string;
	firstName: string;
	lastName: string;
	password: string;
}

/**
 * A port free on 127.0.0.1 now, for a process started later. Chosen below Linux's ephemeral range
 * (32768–60999, where `listen(0)` picks too): a port from that range can be taken by any outgoing
 * connection (n8n's Postgres and Redis pools) in the seconds before its process binds it. (A
 * worker of main + 4 starting at once died during start in one benchmark run, its log lost; this
 * is one way that happens, so it is ruled out.) Random in 20000–32767, checked by binding it.
 */
export async function freePort(): Promise<number> {
	for (let attempt = 0; attempt < 50; attempt++) {
		const port = LOW_PORTS.from + Math.floor(Math.random() * (LOW_PORTS.to - LOW_PORTS.from));
		// Never the same port twice in this process: a cluster asks for ten or so before any of its
		// processes binds one, and a port handed out earlier may still be held by a process that is
		// shutting down (main + 4 failed once on "port already in use" in a benchmark run).
		if (handedOut.has(port)) continue;
		if (await canBind(port)) {
			handedOut.add(port);
			return port;
		}
	}
	throw new Error('no free port in 20000–32767 after 50 tries');
}

const handedOut = new Set<number>();

const LOW_PORTS = { from: 20_000, to: 32_768 };

function canBind(port: number): Promise<boolean> {
	return new Promise((resolve) => {
		const server = createServer();
		server.once('error', () => resolve(false));
		server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
	});
}

export interface N8nInstanceOptions {
	/** A fresh directory: the user folder, logs and temporary files go under it. */
	root: string;
	/** The folder workflows may read and write (`N8N_RESTRICT_FILE_ACCESS_TO`). */
	filesDir: string;
	/** `N8N_LOG_LEVEL` for every process (debug in the secrets tests). */
	logLevel?: 'error' | 'warn' | 'info' | 'debug';
	env?: Record<string, string>;
}

export class N8nInstance {
	readonly userFolder: string;
	readonly filesDir: string;
	/** Everything every n8n process printed, CLI and server, in order. */
	readonly logFile: string;
	/** Hosts outside 127.0.0.0/8 that an n8n process tried to reach (and was refused). */
	readonly blockedLog: string;
	port = 0;
	private server?: ChildProcess;
	private serverExit?: Promise<void>;
	private cookie = '';

	constructor(
		readonly runtime: Runtime,
		private readonly options: N8nInstanceOptions,
	) {
		this.userFolder = join(options.root, 'user');
		this.filesDir = options.filesDir;
		this.logFile = join(options.root, 'n8n.log');
		this.blockedLog = join(options.root, 'blocked-hosts.log');
		mkdirSync(this.userFolder, { recursive: true });
		mkdirSync(this.filesDir, { recursive: true });
		writeFileSync(this.logFile, '');
		writeFileSync(this.blockedLog, '');
	}

	get baseUrl(): string {
		return `http://127.0.0.1:${this.port}`;
	}

	env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
		const inherited = Object.fromEntries(
			Object.entries(process.env).filter(
				// NODE_ENV=test (set by jest) silences n8n's CLI output entirely.
				([key]) => !/^(npm_|NODE_OPTIONS$|NODE_ENV$|TS_NODE_|JEST_|N8N_)/.test(key),
			),
		);
		return {
			...inherited,
			PATH: `${this.runtime.nodeBinDir}:${process.env.PATH ?? ''}`,
			NODE_OPTIONS: `--require ${join(__dirname, 'loopback-only.cjs')}`,
			E2E_BLOCKED_LOG: this.blockedLog,
			N8N_USER_FOLDER: this.userFolder,
			N8N_RESTRICT_FILE_ACCESS_TO: this.filesDir,
			N8N_LOG_LEVEL: this.options.logLevel ?? 'info',
			N8N_DIAGNOSTICS_ENABLED: 'false',
			N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
			N8N_TEMPLATES_ENABLED: 'false',
			N8N_PERSONALIZATION_ENABLED: 'false',
			N8N_SECURE_COOKIE: 'false',
			...this.options.env,
			...extra,
		};
	}

	/** Installs the packed package as n8n's community-package installer would (no peer copy). */
	async installPackage(tarball: string): Promise<void> {
		const nodes = join(this.userFolder, '.n8n', 'nodes');
		mkdirSync(nodes, { recursive: true });
		writeFileSync(
			join(nodes, 'package.json'),
			JSON.stringify({ name: 'installed-nodes', private: true, dependencies: {} }),
		);
		const result = await run(
			'npm',
			[
				'install',
				'--legacy-peer-deps',
				'--ignore-scripts',
				'--no-audit',
				'--no-fund',
				'--package-lock=false',
				resolve(tarball),
			],
			{ cwd: nodes, env: { ...process.env, npm_config_ignore_scripts: 'true' } },
		);
		if (result.code !== 0) throw new Error(`npm install ${tarball} failed:\n${result.stderr}`);
	}

	/**
	 * Runs `n8n <args>` with Node 24; its output is appended to the log file. `onOutput` sees
	 * stdout and stderr as they come (the demo's progress bar reads n8n's progress lines).
	 */
	async cli(
		args: string[],
		extraEnv: Record<string, string> = {},
		onOutput?: (text: string) => void,
	): Promise<CliResult> {
		const brokerPort = await freePort();
		const result = await run(
			join(this.runtime.nodeBinDir, 'node'),
			[this.runtime.n8nBin, ...args],
			{
				cwd: this.options.root,
				env: this.env({ N8N_RUNNERS_BROKER_PORT: String(brokerPort), ...extraEnv }),
			},
			onOutput,
		);
		appendFileSync(this.logFile, `$ n8n ${args.join(' ')}\n${result.stdout}${result.stderr}`);
		return result;
	}

	private async cliOrThrow(args: string[]): Promise<CliResult> {
		const result = await this.cli(args);
		if (result.code !== 0)
			throw new Error(
				`n8n ${args.join(' ')} exited ${result.code}:\n${result.stdout}${result.stderr}`,
			);
		return result;
	}

	/** Imports credentials; n8n encrypts the plain `data` with this user folder's key. */
	async importCredentials(credentials: CredentialRecord[]): Promise<void> {
		const file = join(this.options.root, `credentials-${Date.now()}.json`);
		writeFileSync(file, JSON.stringify(credentials));
		try {
			await this.cliOrThrow(['import:credentials', `--input=${file}`]);
		} finally {
			writeFileSync(file, ''); // the plain secrets do not stay on disk
		}
	}

	async importWorkflows(workflows: WorkflowRecord[]): Promise<void> {
		for (const workflow of workflows) {
			const file = join(this.options.root, `workflow-${workflow.id}.json`);
			writeFileSync(file, JSON.stringify([workflow]));
			await this.cliOrThrow(['import:workflow', `--input=${file}`]);
		}
	}

	/** Activates a workflow's triggers (webhooks); takes effect at the next `start`. */
	async publish(workflowId: string): Promise<void> {
		await this.cliOrThrow(['publish:workflow', `--id=${workflowId}`]);
	}

	/** `n8n execute --id --rawOutput`: runs from the workflow's Manual Trigger, to the end. */
	async execute(
		workflowId: string,
		onOutput?: (text: string) => void,
	): Promise<CliResult & { execution?: ExecutionResult }> {
		const result = await this.cli(['execute', `--id=${workflowId}`, '--rawOutput'], {}, onOutput);
		return { ...result, execution: lastExecutionIn(result.stdout) };
	}

	/**
	 * `n8n execute` in the background, in its own process group (n8n and its task runner), so a
	 * test can kill it mid-batch as a crash would: `kill()` sends SIGKILL to the whole group.
	 */
	async executeInBackground(workflowId: string): Promise<{ exited: Promise<void>; kill(): void }> {
		const brokerPort = await freePort();
		const child = spawn(
			join(this.runtime.nodeBinDir, 'node'),
			[this.runtime.n8nBin, 'execute', `--id=${workflowId}`, '--rawOutput'],
			{
				cwd: this.options.root,
				env: this.env({ N8N_RUNNERS_BROKER_PORT: String(brokerPort) }),
				stdio: ['ignore', 'pipe', 'pipe'],
				detached: true,
			},
		);
		child.stdout.on('data', (chunk: Buffer) => appendFileSync(this.logFile, chunk));
		child.stderr.on('data', (chunk: Buffer) => appendFileSync(this.logFile, chunk));
		const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
		return {
			exited,
			kill: () => {
				if (child.pid && child.exitCode === null && child.signalCode === null)
					process.kill(-child.pid, 'SIGKILL');
			},
		};
	}

	/** `n8n start` (on a free port unless given); resolves when the REST API and `webhooks` answer. */
	async start(options: { port?: number; webhooks?: string[] } = {}): Promise<void> {
		this.port = options.port ?? (await freePort());
		const brokerPort = await freePort();
		const child = spawn(join(this.runtime.nodeBinDir, 'node'), [this.runtime.n8nBin, 'start'], {
			cwd: this.options.root,
			env: this.env({
				N8N_PORT: String(this.port),
				N8N_LISTEN_ADDRESS: '127.0.0.1',
				N8N_HOST: '127.0.0.1',
				N8N_PROTOCOL: 'http',
				N8N_EDITOR_BASE_URL: `http://127.0.0.1:${this.port}`,
				N8N_WEBHOOK_URL: `http://127.0.0.1:${this.port}/`,
				N8N_RUNNERS_BROKER_PORT: String(brokerPort),
			}),
			stdio: ['ignore', 'pipe', 'pipe'],
		});
		this.server = child;
		child.stdout.on('data', (chunk: Buffer) => appendFileSync(this.logFile, chunk));
		child.stderr.on('data', (chunk: Buffer) => appendFileSync(this.logFile, chunk));
		this.serverExit = new Promise((resolve) => child.once('exit', () => resolve()));
		const deadline = Date.now() + 120_000;
		while (Date.now() < deadline) {
			if (child.exitCode !== null)
				throw new Error(`n8n start exited ${child.exitCode}; see ${this.logFile}`);
			// Readiness answers before published webhooks are registered (they 404 until then): each
			// webhook is polled without credentials, which its header auth refuses before running.
			try {
				const response = await fetch(`${this.baseUrl}/healthz/readiness`);
				if (response.ok && (await this.webhooksRegistered(options.webhooks ?? []))) return;
			} catch {
				// not listening yet
			}
			await new Promise((resolve) => setTimeout(resolve, 250));
		}
		throw new Error(`n8n did not become ready within 120 s; see ${this.logFile}`);
	}

	private async webhooksRegistered(paths: string[]): Promise<boolean> {
		for (const path of paths) {
			const response = await fetch(`${this.baseUrl}/webhook/${path}`, { method: 'POST' });
			await response.arrayBuffer();
			if (response.status === 404) return false;
		}
		return true;
	}

	async stop(): Promise<void> {
		if (!this.server || this.server.exitCode !== null) return;
		this.server.kill('SIGTERM');
		const killed = setTimeout(() => this.server?.kill('SIGKILL'), 15_000);
		await this.serverExit;
		clearTimeout(killed);
	}

	/**
	 * Rows of a read-only SQL query on this instance's SQLite database (n8n's own sqlite3 module,
	 * run with Node 24), e.g. to read stored execution data as n8n keeps it.
	 */
	async query<T = Record<string, unknown>>(sql: string): Promise<T[]> {
		const script = `
			const sqlite3 = require(${JSON.stringify(join(this.runtime.dir, 'node_modules/sqlite3'))});
			const db = new sqlite3.Database(process.argv[1], sqlite3.OPEN_READONLY);
			db.all(process.argv[2], (error, rows) => {
				if (error) { console.error(error.message); process.exit(1); }
				process.stdout.write(JSON.stringify(rows));
				db.close();
			});`;
		const result = await run(
			join(this.runtime.nodeBinDir, 'node'),
			['-e', script, join(this.userFolder, '.n8n', 'database.sqlite'), sql],
			{ cwd: this.options.root, env: { PATH: process.env.PATH ?? '' } },
		);
		if (result.code !== 0) throw new Error(`query failed: ${result.stderr}`);
		return JSON.parse(result.stdout) as T[];
	}

	log(): string {
		return readFileSync(this.logFile, 'utf8');
	}

	blockedHosts(): string[] {
		return readFileSync(this.blockedLog, 'utf8').split('\n').filter(Boolean);
	}

	/** Creates the owner account (once per user folder) and keeps its session cookie. */
	async setupOwner(owner: Owner): Promise<void> {
		const response = await fetch(`${this.baseUrl}/rest/owner/setup`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify(owner),
		});
		if (!response.ok) throw new Error(`owner setup: ${response.status} ${await response.text()}`);
		this.cookie = sessionCookie(response);
	}

	async login(email: string, password: string): Promise<string> {
		const response = await fetch(`${this.baseUrl}/rest/login`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ emailOrLdapLoginId: email, password }),
		});
		if (!response.ok) throw new Error(`login: ${response.status} ${await response.text()}`);
		this.cookie = sessionCookie(response);
		return this.cookie;
	}

	/** The owner's `n8n-auth` session token (for a browser's cookie jar). */
	get sessionToken(): string {
		return this.cookie;
	}

	/** A REST call as the owner. */
	async rest<T>(
		method: string,
		path: string,
		body?: unknown,
	): Promise<{ status: number; body: T }> {
		const response = await fetch(`${this.baseUrl}${path}`, {
			method,
			headers: {
				cookie: `n8n-auth=${this.cookie}`,
				...(body === undefined ? {} : { 'content-type': 'application/json' }),
			},
			body: body === undefined ? undefined : JSON.stringify(body),
		});
		const text = await response.text();
		let parsed: unknown = text;
		try {
			parsed = JSON.parse(text);
		} catch {
			// not JSON
		}
		return { status: response.status, body: parsed as T };
	}
}

/**
 * The execution `n8n execute --rawOutput` printed. n8n's own log lines share stdout (N8N-E2E.md T5);
 * at debug level the result itself goes through the logger, after a timestamp and before the log
 * call's metadata. So: the last balanced JSON object that is an execution.
 */
export function lastExecutionIn(stdout: string): ExecutionResult | undefined {
	// eslint-disable-next-line no-control-regex -- ANSI colour codes
	const text = stdout.replace(/\u001b\[[0-9;]*m/g, '');
	const starts = [...text.matchAll(/\{\n/g)].map((m) => m.index ?? 0).reverse();
	for (const start of starts) {
		const end = balancedEnd(text, start);
		if (end < 0) continue;
		try {
			const value = JSON.parse(text.slice(start, end)) as Partial<ExecutionResult>;
			if (typeof value.status === 'string' && value.data?.resultData)
				return value as ExecutionResult;
		} catch {
			// not JSON: a log line's own braces
		}
	}
	return undefined;
}

/** The index just past the `}` that closes the `{` at `start`, strings respected; -1 if none. */
function balancedEnd(text: string, start: number): number {
	let depth = 0;
	let inString = false;
	for (let i = start; i < text.length; i++) {
		const c = text[i];
		if (inString) {
			if (c === '\\') i++;
			else if (c === '"') inString = false;
		} else if (c === '"') inString = true;
		else if (c === '{') depth++;
		else if (c === '}' && --depth === 0) return i + 1;
	}
	return -1;
}

function sessionCookie(response: Response): string {
	for (const cookie of response.headers.getSetCookie()) {
		const match = /^n8n-auth=([^;]+)/.exec(cookie);
		if (match) return match[1];
	}
	throw new Error('n8n answered without an n8n-auth cookie');
}

function run(
	command: string,
	args: string[],
	options: { cwd: string; env: NodeJS.ProcessEnv },
	onOutput?: (text: string) => void,
): Promise<CliResult> {
	return new Promise((resolve) => {
		const child = execFile(
			command,
			args,
			{ ...options, maxBuffer: 256 * 1024 * 1024, encoding: 'utf8' },
			(error, stdout, stderr) => {
				const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
				resolve({ code, stdout, stderr });
			},
		);
		if (onOutput) {
			child.stdout?.on('data', (chunk: string) => onOutput(chunk));
			child.stderr?.on('data', (chunk: string) => onOutput(chunk));
		}
	});
}
