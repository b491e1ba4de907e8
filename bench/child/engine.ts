/**
 * The engine alone, in a process of its own so its CPU time and memory are its own (the emulators
 * run in the parent). Prints one JSON line.
 *
 *   overhead <flashbackBaseUrl> <users>     removals over HTTP, CPU-profiled (inspector) during the run
 *   memory <leavers.csv> <report.csv>       CSV in → CSV report out, an instant in-process system
 *   parsed <leavers.csv>                    what holding every parsed row would take (the reference)
 */
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { bearer } from '../../src/auth/schemes';
import { csvInputRows, readCsvRows } from '../../src/csv';
import { realClock } from '../../src/engine/clock';
import { DEFAULT_LIMITS, LimiterRegistry, type LimitSettings } from '../../src/engine/limiter';
import { offboard } from '../../src/engine/offboard';
import type { Pair } from '../../src/engine/outcome';
import { reportHeaderLine, reportLine } from '../../src/engine/report';
import { DEFAULT_RETRY } from '../../src/engine/retry';
import { runRemovals, type SystemRuntime } from '../../src/engine/run';
import { SYSTEMS } from '../../src/systems';
import { createFetchTransport } from '../../src/transport/fetchTransport';
import type { Transport } from '../../src/transport/types';
import { DEMO_CREDENTIALS, DEMO_SCOPES } from '../../sandbox/demo';
import type { CpuProfile } from '../lib/cpuProfile';

/** No limit worth the name: what the engine itself costs, not what it waits for. */
const UNLIMITED: LimitSettings = {
	...DEFAULT_LIMITS,
	maxConcurrency: 16,
	ratePerSecond: 1e6,
	burst: 16,
};

function flashbackRuntime(baseUrl: string, transport: Transport): SystemRuntime {
	return {
		system: SYSTEMS.flashback,
		baseUrl,
		transport,
		secrets: () => [DEMO_CREDENTIALS.flashback.token],
		credentialKey: 'bench',
		limits: UNLIMITED,
		retry: DEFAULT_RETRY,
	};
}

function cpuMs(): number {
	const usage = process.cpuUsage();
	return (usage.user + usage.system) / 1000;
}

async function overhead(baseUrl: string, users: number): Promise<Record<string, unknown>> {
	const transport = createFetchTransport({
		authenticate: bearer(DEMO_CREDENTIALS.flashback.token),
	});
	const pairs: Pair[] = Array.from({ length: users }, (_, i) => ({
		id: `p${i + 1}`,
		row: i + 1,
		system: 'flashback',
		scope: DEMO_SCOPES.flashback,
		userId: `fb_user_${i + 1}`,
	}));
	const session = new Session();
	session.connect();
	await session.post('Profiler.enable');
	await session.post('Profiler.start');
	const cpuBefore = cpuMs();
	const started = performance.now();
	const run = runRemovals(pairs, {
		systems: { flashback: flashbackRuntime(baseUrl, transport) },
		limiters: new LimiterRegistry(realClock),
	});
	const statuses: Record<string, number> = {};
	for await (const outcome of run) statuses[outcome.status] = (statuses[outcome.status] ?? 0) + 1;
	const ms = performance.now() - started;
	const cpu = cpuMs() - cpuBefore;
	const { profile } = (await session.post('Profiler.stop')) as { profile: CpuProfile };
	session.disconnect();
	return { ms, cpuMs: cpu, statuses, maxRssBytes: process.resourceUsage().maxRSS * 1024, profile };
}

const LIVE_SAMPLE_EVERY = 10_000;

async function memory(csvPath: string, reportPath: string): Promise<Record<string, unknown>> {
	// Answers at once, like a system with no latency, without a socket per removal.
	const instant: Transport = {
		send: async () => ({ status: 200, headers: {}, body: '{"success":true}' }),
	};
	let peakHeapUsed = 0;
	let peakLiveHeap = 0;
	const sample = (): void => {
		peakHeapUsed = Math.max(peakHeapUsed, process.memoryUsage().heapUsed);
	};
	// With --expose-gc: what the batch holds, garbage collected first (not what it has thrown away).
	const gc = (globalThis as { gc?: () => void }).gc;
	const sampleLive = (): void => {
		if (!gc) return;
		gc();
		peakLiveHeap = Math.max(peakLiveHeap, process.memoryUsage().heapUsed);
	};
	const sampler = setInterval(sample, 20);
	const started = performance.now();
	const run = await offboard(
		() => csvInputRows(createReadStream(csvPath), ['email', 'flashbackUserId']),
		{
			plan: {
				systems: [
					{
						system: SYSTEMS.flashback,
						baseUrl: 'http://127.0.0.1:9',
						scopes: { workspaceId: { fixed: [DEMO_SCOPES.flashback.workspaceId] } },
					},
				],
			},
			systems: { flashback: flashbackRuntime('http://127.0.0.1:9', instant) },
			limiters: new LimiterRegistry(realClock),
			deletionThreshold: Infinity,
		},
	);
	const report = createWriteStream(reportPath);
	report.write(reportHeaderLine());
	const statuses: Record<string, number> = {};
	let outcomes = 0;
	for await (const outcome of run) {
		statuses[outcome.status] = (statuses[outcome.status] ?? 0) + 1;
		if (!report.write(reportLine(outcome))) await once(report, 'drain');
		if (++outcomes % 5000 === 0) sample();
		if (outcomes % LIVE_SAMPLE_EVERY === 0) sampleLive();
	}
	report.end();
	await once(report, 'finish');
	clearInterval(sampler);
	sample();
	return {
		ms: performance.now() - started,
		outcomes,
		statuses,
		peakHeapUsed,
		peakLiveHeap,
		maxRssBytes: process.resourceUsage().maxRSS * 1024,
		reportBytes: report.bytesWritten,
	};
}

/** The heap that every parsed row held at once takes (needs --expose-gc). */
async function parsed(csvPath: string): Promise<Record<string, unknown>> {
	const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
	gc();
	const before = process.memoryUsage().heapUsed;
	const rows: unknown[] = [];
	for await (const row of readCsvRows(createReadStream(csvPath))) rows.push(row);
	gc();
	return { rows: rows.length, heapBytes: process.memoryUsage().heapUsed - before };
}

async function main(): Promise<void> {
	const [mode, a, b] = process.argv.slice(2);
	const result =
		mode === 'overhead'
			? await overhead(a, Number(b))
			: mode === 'parsed'
				? await parsed(a)
				: await memory(a, b);
	process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((error: unknown) => {
	console.error(error);
	process.exit(1);
});
