/**
 * The engine alone against one emulated system with a hidden limit: wall time ÷ ideal, 429s
 * received, requests sent. `npm run bench` (or `npm run bench -- --pairs 1000 --rate 50`).
 * Ideal = (N − burst) / rate: the hidden bucket's burst is free, the rest come at its rate.
 */
import { LimiterRegistry } from '../src/engine/limiter';
import { realClock } from '../src/engine/clock';
import type { Pair } from '../src/engine/outcome';
import { runRemovals } from '../src/engine/run';
import { DEMO_SCOPES, type HeaderStyle, startSandbox } from '../sandbox';
import { sandboxRuntimes } from '../test/support/sandboxRuntimes';

function arg(name: string, fallback: number): number {
	const index = process.argv.indexOf(`--${name}`);
	return index >= 0 ? Number(process.argv[index + 1]) : fallback;
}

interface Row {
	variant: string;
	pairs: number;
	hiddenRate: number;
	configuredRate: number;
	seconds: number;
	ideal: number;
	ratio: number;
	limited: number;
	sent: number;
	wastedPct: number;
	failed: number;
}

async function measure(
	style: HeaderStyle,
	pairsCount: number,
	hiddenRate: number,
	burst: number,
	configuredRate: number,
): Promise<Row> {
	const sandbox = await startSandbox();
	try {
		const workspace = DEMO_SCOPES.flashback.workspaceId;
		for (let i = 1; i <= pairsCount; i++) sandbox.flashback.addMember(workspace, `bench_${i}`);
		sandbox.flashback.configure({ rateLimit: { rate: hiddenRate, burst, headers: style } });
		const pairs: Pair[] = Array.from({ length: pairsCount }, (_, i) => ({
			id: `p${i + 1}`,
			row: i + 1,
			system: 'flashback',
			scope: DEMO_SCOPES.flashback,
			userId: `bench_${i + 1}`,
		}));
		const { flashback } = sandboxRuntimes(sandbox, {
			maxConcurrency: 8,
			ratePerSecond: configuredRate,
			burst: 5,
		});
		const started = Date.now();
		const run = runRemovals(pairs, {
			systems: { flashback },
			limiters: new LimiterRegistry(realClock),
		});
		let failed = 0;
		for await (const outcome of run) if (outcome.status === 'failed') failed++;
		const seconds = (Date.now() - started) / 1000;
		const ideal = (pairsCount - burst) / hiddenRate;
		const stats = run.stats().flashback ?? { requests: 0, rateLimited: 0, transportErrors: 0 };
		return {
			variant: style,
			pairs: pairsCount,
			hiddenRate,
			configuredRate,
			seconds,
			ideal,
			ratio: seconds / ideal,
			limited: stats.rateLimited,
			sent: stats.requests,
			wastedPct: (100 * stats.rateLimited) / stats.requests,
			failed,
		};
	} finally {
		await sandbox.close();
	}
}

async function main(): Promise<void> {
	const pairs = arg('pairs', 1000);
	const rate = arg('rate', 50);
	const burst = arg('burst', 5);
	const configured = arg('configured', 100);
	const rows: Row[] = [];
	for (const style of ['retry-after-seconds', 'draft10', 'none'] as HeaderStyle[]) {
		rows.push(await measure(style, pairs, rate, burst, configured));
	}
	console.log(
		`Engine alone, one system, ${pairs} pairs, hidden limit ${rate} req/s (burst ${burst}), configured ${configured} req/s, concurrency 8`,
	);
	console.log(
		'| limit announced by | time (s) | ideal (s) | time ÷ ideal | 429s | requests | wasted | failed |',
	);
	console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
	for (const r of rows) {
		console.log(
			`| ${r.variant} | ${r.seconds.toFixed(1)} | ${r.ideal.toFixed(1)} | ${r.ratio.toFixed(2)} | ${r.limited} | ${r.sent} | ${r.wastedPct.toFixed(1)} % | ${r.failed} |`,
		);
	}
}

main().catch((error: unknown) => {
	console.error(error);
	process.exit(1);
});
