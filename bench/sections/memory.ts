/**
 * Section 6: memory. The engine alone streaming a leavers CSV to a CSV report (10k / 100k / 1M
 * rows), each size in a fresh process; inside n8n, summary mode, up to 100k rows.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { runEngineChild } from '../lib/child';
import { writeWideLeavers } from '../lib/csvFiles';
import {
	type Bar,
	type BenchContext,
	type Cell,
	fixed,
	mib,
	type Section,
	type SectionResult,
	table,
} from '../lib/report';
import { OFFBOARD_NODE, offboardCsvWorkflow, UNLIMITED } from '../lib/workflows';
import { requireRun, totalsOf } from './rateLimits';

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

async function engineRow(
	ctx: BenchContext,
	rows: number,
): Promise<{
	cells: Cell[];
	removed: number;
	rows: number;
	csvBytes: number;
	liveHeap: number;
	/** Heap that holding every parsed row took (measured up to 100,000 rows). */
	parsedHeap?: number;
}> {
	const csv = join(ctx.workDir, csvName(rows));
	const report = join(ctx.workDir, `report-${rows}.csv`);
	const bytes = await writeWideLeavers(csv, rows);
	ctx.log(`memory: engine alone, ${rows} rows (${mib(bytes)} MiB CSV)`);
	try {
		const m = await runEngineChild<EngineMemory>(['memory', csv, report], ['--expose-gc']);
		const parsed =
			rows <= 100_000
				? await runEngineChild<{ heapBytes: number }>(['parsed', csv], ['--expose-gc'])
				: undefined;
		return {
			rows,
			parsedHeap: parsed?.heapBytes,
			csvBytes: bytes,
			liveHeap: m.peakLiveHeap,
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

async function n8nRow(
	ctx: BenchContext,
	rows: number,
): Promise<{ cells: Cell[]; planned: number; sent: number }> {
	const csv = join(ctx.filesDir, csvName(rows));
	const bytes = await writeWideLeavers(csv, rows);
	const sandbox = await ctx.n8n.startSandbox();
	try {
		ctx.log(`memory: n8n summary mode, dry run, ${rows} rows`);
		const run = await ctx.n8n.execute(`memory-n8n-${rows}`);
		const node = requireRun(run, OFFBOARD_NODE, `memory in n8n, ${rows} rows`);
		const planned = totalsOf(node.first, 'flashback').would_remove ?? 0;
		const sent = sandbox.flashback.removalRequests().length;
		return {
			planned,
			sent,
			cells: [
				'n8n, summary + CSV report, dry run',
				rows.toLocaleString('en'),
				mib(bytes),
				fixed(node.ms / 1000, 1),
				run.stats ? mib(run.stats.maxRssBytes) : '–',
				run.stats ? mib(run.stats.peakHeapUsed) : '–',
				'–',
				`${planned.toLocaleString('en')} would_remove, ${sent} requests sent`,
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
				dryRun: true,
			}),
		);
	},
	async run(ctx): Promise<SectionResult> {
		const engine = [];
		for (const rows of ctx.sizes.memory.engineRows) engine.push(await engineRow(ctx, rows));
		const inN8n = [];
		for (const rows of ctx.sizes.memory.n8nRows) inN8n.push(await n8nRow(ctx, rows));
		const largest = engine[engine.length - 1];
		// The reference: every parsed row held at once, per row, at the largest size it was measured.
		const reference = [...engine].reverse().find((e) => e.parsedHeap !== undefined);
		const parsedPerRow =
			reference?.parsedHeap !== undefined ? reference.parsedHeap / reference.rows : NaN;
		const livePerRow = largest ? largest.liveHeap / largest.rows : NaN;
		const bars: Bar[] = largest
			? [
					{
						name: `Engine alone, ${largest.rows.toLocaleString('en')}-row CSV → report: memory O(distinct ids), not O(rows × payload) — live heap per row under a third of what a parsed row takes`,
						target: `< ${fixed(parsedPerRow / 3, 0)} B per row`,
						measured: `${fixed(livePerRow, 0)} B per row (${mib(largest.liveHeap)} MiB)`,
						met: livePerRow < parsedPerRow / 3,
					},
				]
			: [];
		const markdown = [
			`A wide HR export (10 columns, ~175 bytes a row) of which the run reads two, Flashback only. The engine alone runs in a fresh Node ${process.version} process per size, streaming the file through \`offboard()\` into a CSV report on disk, with an in-process system that answers 200 at once (no sockets: a million HTTP round trips would measure the loopback, not the engine). Inside n8n: Read File → Offboard Users in summary mode (which streams the CSV report into n8n's binary data as the run goes), each size a fresh \`n8n execute\`, as a **dry run**: every row is read, validated, planned, given an outcome and written to the report, but nothing is sent — inside n8n each removal costs about ${ctx.shared.has('n8nCpuPerRemovalMs') ? fixed(ctx.shared.get('n8nCpuPerRemovalMs') ?? 0, 1) : 'several'} ms of CPU in n8n's own request helper (section 4), so 100,000 real removals would take longer than this whole benchmark may; the request path holds nothing per row, so the dry run's memory is the batch's. Peak RSS is \`process.resourceUsage().maxRSS\`; peak heap is \`heapUsed\` sampled every 20–50 ms (garbage included); "live heap" is \`heapUsed\` right after a forced GC every 10,000 outcomes (what the batch really holds). For reference, holding ${reference ? reference.rows.toLocaleString('en') : 'the'} parsed rows at once took ${reference?.parsedHeap !== undefined ? mib(reference.parsedHeap) : '–'} MiB of heap (${fixed(parsedPerRow, 0)} B a row); the batch's live heap grows with its distinct ids (the duplicate check keeps one key per system, scope and id): ${fixed(livePerRow, 0)} B a row at the largest size.`,
			'',
			table(
				[
					'where',
					'rows',
					'CSV (MiB)',
					'time (s)',
					'peak RSS (MiB)',
					'peak heap (MiB)',
					'live heap after GC (MiB)',
					'result',
				],
				[...engine.map((e) => e.cells), ...inN8n.map((e) => e.cells)],
				['l'],
			),
		].join('\n');
		return {
			markdown,
			bars,
			checks: {
				engineRows: ctx.sizes.memory.engineRows.reduce((a, b) => a + b, 0),
				engineRemoved: engine.reduce((a, e) => a + e.removed, 0),
				n8nRows: ctx.sizes.memory.n8nRows.reduce((a, b) => a + b, 0),
				n8nPlanned: inN8n.reduce((a, e) => a + e.planned, 0),
				n8nSent: inN8n.reduce((a, e) => a + e.sent, 0),
			},
		};
	},
};
