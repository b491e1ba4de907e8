/**
 * Real n8n for the benchmarks: one user folder with the packed package, credentials and every
 * benchmark workflow imported once (two CLI calls), then each variant as its own `n8n execute`
 * process — a fresh process, so limits learned in one variant never help the next — measured by a
 * preloaded sampler (peak heap, peak RSS, CPU) and capped by killing its process group.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
	type CredentialRecord,
	type ExecutionResult,
	freePort,
	lastExecutionIn,
	N8nInstance,
	type WorkflowRecord,
} from '../../e2e/n8n';
import { newSigningSecret } from '../../e2e/examples';
import type { Runtime } from '../../e2e/runtime';
import {
	DEFAULT_PORTS,
	DEMO_CREDENTIALS,
	type Sandbox,
	sandboxCredentialData,
	startSandbox,
} from '../../sandbox';
import type { SeedSystemId } from '../../src/systems';

export type SystemPorts = Record<keyof typeof DEFAULT_PORTS, number>;

/** Fixed sandbox ports; the imported credentials (`credentialRef`) point at them. */
export interface Slot {
	ports: SystemPorts;
	baseUrls: Sandbox['baseUrls'];
}

export const CREDENTIAL_TYPE: Readonly<Record<SeedSystemId, string>> = {
	productAccess: 'productAccessApi',
	productBridge: 'productBridgeApi',
	ejento: 'ejentoApi',
	flashback: 'flashbackApi',
	mudbase: 'mudbaseApi',
};

/** How a workflow refers to a credential this harness imported. */
export function credentialRef(id: string): { id: string; name: string } {
	return { id, name: id };
}

/** The nightly trigger's header auth (it carries no personal data); GDPR requests are signed. */
export const WEBHOOK_HEADER_NAME = 'X-Bench-Key';

export interface ProcessStats {
	peakHeapUsed: number;
	peakHeapTotal: number;
	maxRssBytes: number;
	cpuMs: number;
}

export interface MeasuredExecution {
	code: number | null;
	/** Process start to exit (n8n's boot included). */
	wallMs: number;
	/** When the process exited (epoch ms). */
	exitedAt: number;
	/** Killed at the cap before it finished. */
	capped: boolean;
	execution?: ExecutionResult;
	/** The main n8n process's own numbers (absent when it was killed). */
	stats?: ProcessStats;
	stdoutTail: string;
}

export class BenchN8n {
	private constructor(
		readonly instance: N8nInstance,
		readonly slot: Slot,
		private readonly root: string,
		readonly webhookSecret: string,
		/** The GDPR webhook's signing secret (Verify Webhook Signature), as in the example. */
		readonly signingSecret: string,
	) {}

	/** A user folder with the package installed and the sandbox credentials imported. */
	static async prepare(runtime: Runtime, tarball: string, root: string): Promise<BenchN8n> {
		const instance = new N8nInstance(runtime, { root, filesDir: join(root, 'files') });
		const ports = {} as SystemPorts;
		for (const system of Object.keys(DEFAULT_PORTS) as SeedSystemId[])
			ports[system] = await freePort();
		const probe = await startSandbox({ ports });
		const baseUrls = probe.baseUrls;
		await probe.close();
		const slot: Slot = { ports, baseUrls };
		const bench = new BenchN8n(
			instance,
			slot,
			root,
			`bench-${randomBytes(12).toString('base64url')}`,
			newSigningSecret(),
		);
		await instance.installPackage(tarball);
		const data = sandboxCredentialData(baseUrls);
		const credentials: CredentialRecord[] = Object.values(CREDENTIAL_TYPE).map((type) => ({
			id: `bench_${type}`,
			name: `bench_${type}`,
			type,
			data: data[type],
		}));
		credentials.push(
			{
				id: 'bench_webhookHeader',
				name: 'bench_webhookHeader',
				type: 'httpHeaderAuth',
				data: { name: WEBHOOK_HEADER_NAME, value: bench.webhookSecret },
			},
			{
				id: 'bench_webhookSigning',
				name: 'bench_webhookSigning',
				type: 'webhookSigningSecretApi',
				data: { secret: bench.signingSecret },
			},
			{
				// What a user of the HTTP Request node sets up for Flashback: a header credential.
				id: 'bench_flashbackHeader',
				name: 'bench_flashbackHeader',
				type: 'httpHeaderAuth',
				data: { name: 'Authorization', value: `Bearer ${DEMO_CREDENTIALS.flashback.token}` },
			},
		);
		await instance.importCredentials(credentials);
		return bench;
	}

	/**
	 * A copy of this user folder (package, credentials, workflows, encryption key) under `root`, for
	 * an `n8n execute` that runs beside another one: SQLite is not shared between them.
	 */
	clone(root: string, env: Record<string, string> = {}): BenchN8n {
		const instance = new N8nInstance(this.instance.runtime, { root, filesDir: this.filesDir, env });
		cpSync(this.instance.userFolder, instance.userFolder, { recursive: true });
		return new BenchN8n(instance, this.slot, root, this.webhookSecret, this.signingSecret);
	}

	/**
	 * Several workflows at once, each its own `n8n execute` in its own copy of this user folder
	 * (under `workDir`): for workflows that wait far more than they compute.
	 */
	executeSideBySide(
		workflowIds: readonly string[],
		workDir: string,
		options: { capMs?: number; parseOutput?: boolean } = {},
	): Promise<MeasuredExecution[]> {
		return Promise.all(
			workflowIds.map((id) => this.clone(join(workDir, `n8n-${id}`)).execute(id, options)),
		);
	}

	get filesDir(): string {
		return this.instance.filesDir;
	}

	/** A sandbox on this folder's fixed ports (the imported credentials point at them). */
	startSandbox(): Promise<Sandbox> {
		return startSandbox({ ports: this.slot.ports });
	}

	/** Imports every workflow in one CLI call (each call boots n8n: about 5 s). */
	async importWorkflows(workflows: WorkflowRecord[]): Promise<void> {
		if (workflows.length === 0) return;
		const file = join(this.root, 'bench-workflows.json');
		writeFileSync(file, JSON.stringify(workflows));
		const result = await this.instance.cli(['import:workflow', `--input=${file}`]);
		if (result.code !== 0)
			throw new Error(`import:workflow exited ${result.code}:\n${result.stdout}${result.stderr}`);
	}

	/**
	 * `n8n execute --id --rawOutput` as a new process group; killed (SIGKILL to the group) after
	 * `capMs`. `cpuProfileDir` adds `--cpu-prof` to n8n's Node.
	 */
	async execute(
		workflowId: string,
		options: { capMs?: number; cpuProfileDir?: string; parseOutput?: boolean } = {},
	): Promise<MeasuredExecution> {
		const statsDir = join(this.root, `stats-${workflowId}-${Date.now()}`);
		mkdirSync(statsDir, { recursive: true });
		const preload = [
			`--require ${join(__dirname, '../../e2e/loopback-only.cjs')}`,
			`--require ${join(__dirname, '../support/processStats.cjs')}`,
			'--max-old-space-size=4096',
			...(options.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`] : []),
		];
		const env = this.instance.env({
			N8N_RUNNERS_BROKER_PORT: String(await freePort()),
			NODE_OPTIONS: preload.join(' '),
			BENCH_STATS_DIR: statsDir,
		});
		const runtime = this.instance.runtime;
		const started = Date.now();
		const child = spawn(
			join(runtime.nodeBinDir, 'node'),
			[runtime.n8nBin, 'execute', `--id=${workflowId}`, '--rawOutput'],
			{ cwd: this.root, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
		);
		const chunks: Buffer[] = [];
		let stderr = '';
		child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
		child.stderr.on('data', (chunk: Buffer) => {
			stderr = (stderr + chunk.toString('utf8')).slice(-4000);
		});
		let capped = false;
		const timer =
			options.capMs === undefined
				? undefined
				: setTimeout(() => {
						capped = true;
						if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
					}, options.capMs);
		const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
		if (timer) clearTimeout(timer);
		const exitedAt = Date.now();
		const wallMs = exitedAt - started;
		const stdout = Buffer.concat(chunks).toString('utf8');
		const stats = readStats(statsDir);
		rmSync(statsDir, { recursive: true, force: true });
		return {
			code,
			wallMs,
			exitedAt,
			capped,
			// A long loop's run data is tens of MB: callers that only need the ground truth skip it.
			execution: capped || options.parseOutput === false ? undefined : lastExecutionIn(stdout),
			stats,
			stdoutTail: `${stdout.slice(-2000)}\n${stderr}`,
		};
	}
}

/** The `n8n execute` process's numbers (not its task runner's). */
function readStats(dir: string): ProcessStats | undefined {
	for (const name of readdirSync(dir)) {
		const stats = JSON.parse(readFileSync(join(dir, name), 'utf8')) as ProcessStats & {
			argv: string[];
		};
		if (stats.argv.includes('execute')) return stats;
	}
	return undefined;
}

/** The Offboard Users node's own execution time (ms) and first output item, from the run data. */
export function nodeRun(
	execution: ExecutionResult | undefined,
	node: string,
): { ms: number; startTime?: number; first?: Record<string, unknown>; items: number } | undefined {
	const run = execution?.data.resultData.runData[node]?.[0];
	if (!run) return undefined;
	const items = run.data?.main[0] ?? [];
	// n8n's task data also carries when the node started (epoch ms).
	const { startTime } = run as { startTime?: number };
	return { ms: run.executionTime, startTime, first: items[0]?.json, items: items.length };
}
