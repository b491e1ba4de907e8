/**
 * Section 6: memory. The engine alone streaming a leavers CSV to a CSV report (10k / 100k / 1M
 * rows), each size in a fresh process; inside n8n, summary mode, up to 100k rows.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { DEMO_SCOPES, demoPerson } from '../../sandbox';
import { runEngineChild } from '../lib/child';
import { writeWideLeavers } from '../lib/csvFiles';
import { sandboxTruth } from '../lib/groundTruth';
import { type BenchContext, type Cell, fixed, mib, type Section, type SectionResult, table } from '../lib/report';
import { BENCH_LIMITS, type NodeLimits, OFFBOARD_NODE, offboardCsvWorkflow } from '../lib/workflows';
import { requireRun, totalsOf } from './rateLimits';

const UNLIMITED: NodeLimits = { ...BENCH_LIMITS, maxConcurrency: 16, ratePerSecond: 100_000 };
const csvName = (rows: number) => `memory-${rows}.csv`;

interface EngineMemory {
	ms: number;
	outcomes: number;
	statuses: Record<string, number>;
	peakHeapUsed: number;
	peakLiveHeap: number;
	maxRssBytes: number;
	reportBytes: number;
}

async function engineRow(ctx: BenchContext, rows: number): Promise<{ cells: Cell[]; removed: number }> {
	const csv = join(ctx.workDir, csvName(rows));
	const report = join(ctx.workDir, `report-${rows}.csv`);
	const bytes = await writeWideLeavers(csv, rows);
	ctx.log(`memory: engine alone, ${rows} rows (${mib(bytes)} MiB CSV)`);
	try {
		const m = await runEngineChild<EngineMemory>(['memory', csv, report], ['--expose-gc']);
		return {
			removed: m.statuses.removed ?? 0,
			cells: [
				'engine alone',
				rows.toLocaleString('en'),
				mib(bytes),
				fixed(m.ms / 1000, 1),
				mib(m.maxRssBytes),
				mib(m.peakHeapUsed),
				mib(m.peakLiveHeap),
				`${(m.statuses.removed ?? 0).toLocaleString('en')} removed, report ${mib(m.reportBytes)} MiB`,
			],
		};
	} finally {
		rmSync(csv, { force: true });
		rmSync(report, { force: true });
	}
}

async function n8nRow(ctx: BenchContext, rows: number): Promise<{ cells: Cell[]; removed: number; failed: number }> {
	const csv = join(ctx.filesDir, csvName(rows));
	const bytes = await writeWideLeavers(csv, rows);
	const sandbox = await ctx.n8n.startSandbox();
	try {
		const ids = Array.from({ length: rows }, (_, i) => demoPerson(i + 1).flashbackUserId);
		for (const id of ids) sandbox.flashback.addMember(DEMO_SCOPES.flashback.workspaceId, id);
		ctx.log(`memory: n8n summary mode, ${rows} rows`);
		const run = await ctx.n8n.execute(`memory-n8n-${rows}`);
		const node = requireRun(run, OFFBOARD_NODE, `memory in n8n, ${rows} rows`);
		const removed = sandboxTruth(sandbox, 'flashback', ids).removed;
		return {
			removed,
			failed: totalsOf(node.first, 'flashback').failed ?? NaN,
			cells: [
				'n8n, summary + CSV report',
				rows.toLocaleString('en'),
				mib(bytes),
				fixed(node.ms / 1000, 1),
				run.stats ? mib(run.stats.maxRssBytes) : '–',
				run.stats ? mib(run.stats.peakHeapUsed) : '–',
				'–',
				`${removed.toLocaleString('en')} removed (ground truth)`,
			],
		};
	} finally {
		await sandbox.close();
		rmSync(csv, { force: true });
	}
}

export const memorySection: Section = {
	id: 'memory',
	title: 'Memory: CSV in → CSV report out',
	async workflows(ctx) {
		return ctx.sizes.memory.n8nRows.map((rows) =>
			offboardCsvWorkflow({
				id: `memory-n8n-${rows}`,
				csvPath: join(ctx.filesDir, csvName(rows)),
				systems: ['flashback'],
				outputMode: 'summary',
				deletionThreshold: rows,
				limits: UNLIMITED,
			}),
		);
	},
	async run(ctx): Promise<SectionResult> {
		const engine = [];
		for (const rows of ctx.sizes.memory.engineRows) engine.push(await engineRow(ctx, rows));
		const inN8n = [];
		for (const rows of ctx.sizes.memory.n8nRows) inN8n.push(await n8nRow(ctx, rows));
		const markdown = [
			`A wide HR export (10 columns, ~175 bytes a row) of which the run reads two, Flashback only. The engine alone runs in a fresh Node ${process.version} process per size, streaming the file through \`offboard()\` into a CSV report on disk, with an in-process system that answers 200 at once (no sockets: a million HTTP round trips would measure the loopback, not the engine). Inside n8n: Read File → Offboard Users (summary mode, which also builds the CSV report as a binary) against the instant Flashback emulator, each size a fresh \`n8n execute\`. Peak RSS is \`process.resourceUsage().maxRSS\`; peak heap is \`heapUsed\` sampled every 20–50 ms (garbage included); "live heap" is \`heapUsed\` right after a forced GC every 10,000 outcomes (what the batch really holds).`,
			'',
			table(
				['where', 'rows', 'CSV (MiB)', 'time (s)', 'peak RSS (MiB)', 'peak heap (MiB)', 'live heap after GC (MiB)', 'result'],
				[...engine.map((e) => e.cells), ...inN8n.map((e) => e.cells)],
				['l'],
			),
		].join('\n');
		return {
			markdown,
			bars: [],
			checks: {
				engineRows: ctx.sizes.memory.engineRows.reduce((a, b) => a + b, 0),
				engineRemoved: engine.reduce((a, e) => a + e.removed, 0),
				n8nRows: ctx.sizes.memory.n8nRows.reduce((a, b) => a + b, 0),
				n8nRemoved: inN8n.reduce((a, e) => a + e.removed, 0),
				n8nFailed: inN8n.reduce((a, e) => a + e.failed, 0),
			},
		};
	},
};
