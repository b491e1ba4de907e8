/**
 * Queue mode (issue 15): n8n's main + N `n8n worker` processes on one Redis and one PostgreSQL
 * (e2e/queue.ts), the packed package installed on each, for N = 1, 2, 4 on the same workload
 * (e2e/queueWorkload.ts): batches triggered at once by webhook (they land on every worker) against
 * Flashback behind a hidden limit (429 + Retry-After), and one-person GDPR requests during them.
 * The limits live in n8n's own Redis (zero configuration). Then an explicit maximum rate, with no
 * hidden limit: every second, all workers together stay within it.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
	CAPPED_PATH,
	type GdprSplit,
	gdprSplit,
	idealSeconds,
	maxInWindow,
	p95,
	QueueWorkload,
	storeKind,
	type Workload,
} from '../../e2e/queueWorkload';
import {
	type Bar,
	type BenchContext,
	fixed,
	pct,
	type Section,
	type SectionResult,
	table,
} from '../lib/report';

/** Flashback's limits in the batch workflows: start at 100 req/s, at most 8 in flight. */
const LIMITS = { ratePerSecond: 100, maxConcurrency: 8 };

interface Measured {
	workers: number;
	seconds: number;
	ideal: number;
	requests: number;
	limited: number;
	duplicates: number;
	notOnce: number;
	failedBatches: number;
	maxPerSecond: number;
	gdprAloneP95: number;
	gdprDuringP95: number;
	gdprAloneSplit: GdprSplit;
	gdprDuringSplit: GdprSplit;
	gdprIncomplete: number;
	stores: string[];
	/** Share of the machine's CPU time busy while the batches ran (both cores, every process). */
	cpuBusy: number;
	perWorker: number[];
	capped: { maxPerSecond: number; seconds: number; removed: number; users: number };
}

/** The machine's CPU time so far (/proc/stat, in clock ticks): busy (not idle or iowait) and total. */
function cpuTicks(): { busy: number; total: number } {
	const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1);
	const ticks = fields.map(Number);
	const total = ticks.reduce((a, b) => a + b, 0);
	return { busy: total - ticks[3] - ticks[4], total };
}

async function measureWorkers(ctx: BenchContext, workers: number): Promise<Measured> {
	const sizes = ctx.sizes.queue;
	const workload: Workload = {
		batches: sizes.batches,
		batchSize: sizes.batchSize,
		gdprCount: sizes.gdprCount,
		gdprSpacingMs: sizes.gdprSpacingMs,
		gdprAfterMs: sizes.gdprAfterMs,
	};
	ctx.log(`queue: starting main + ${workers} worker(s)`);
	const work = await QueueWorkload.start({
		runtime: ctx.n8n.instance.runtime,
		tarball: ctx.tarball,
		root: mkdtempSync(join(ctx.workDir, `queue-${workers}-`)),
		workers,
		hidden: sizes.hidden,
		limits: LIMITS,
		cappedLimits: { ...LIMITS, maxRatePerSecond: sizes.capped.maxRate },
	});
	try {
		// Warm-up (each worker's first executions load the nodes), then the baseline alone.
		await work.gdprRequests(2 * workers, sizes.gdprSpacingMs);
		const aloneSince = work.sandbox.flashback.requests.length;
		const alone = await work.gdprRequests(sizes.aloneRequests, sizes.gdprSpacingMs);
		const gdprAloneSplit = gdprSplit(alone, work.removalsSince(aloneSince));
		const cpuBefore = cpuTicks();
		const { row, batches, gdpr, people } = await work.batchesWithGdpr(
			`${workers} worker(s)`,
			workload,
		);
		const cpuAfter = cpuTicks();
		const cpuBusy = (cpuAfter.busy - cpuBefore.busy) / (cpuAfter.total - cpuBefore.total);
		const m = row.measure;
		const notOnce = people.filter((p) => m.acted.get(p.flashbackUserId) !== 1).length;

		// The explicit maximum: no hidden limit; every second, all workers within Max Rate.
		work.sandbox.flashback.configure({ rateLimit: null });
		const since = work.sandbox.flashback.requests.length;
		const cappedUsers = Array.from({ length: sizes.capped.batches }, () =>
			work.newPeople(sizes.capped.batchSize),
		);
		const began = Date.now();
		const capped = await Promise.all(
			cappedUsers.map((users) => work.postBatch(users, AbortSignal.timeout(300_000), CAPPED_PATH)),
		);
		const cappedSeconds = (Date.now() - began) / 1000;
		const times = work
			.removalsSince(since)
			.map((r) => r.at)
			.sort((a, b) => a - b);
		return {
			workers,
			seconds: row.elapsedMs / 1000,
			ideal: idealSeconds(workload, sizes.hidden),
			requests: m.requests,
			limited: m.rateLimited,
			duplicates: m.duplicates.length,
			notOnce,
			failedBatches: batches.filter(
				(b) => b.status !== 200 || b.summary?.totals.flashback?.removed !== sizes.batchSize,
			).length,
			maxPerSecond: m.maxPerSecond,
			gdprAloneP95: p95(alone.map((g) => g.ms)),
			gdprDuringP95: row.gdprP95,
			gdprAloneSplit,
			gdprDuringSplit: row.gdprSplit,
			gdprIncomplete: [...alone, ...gdpr].filter((g) => g.status !== 200 || !g.receipt?.complete)
				.length,
			stores: [...new Set(batches.map((b) => storeKind(b.summary)))],
			cpuBusy,
			perWorker: row.perWorker,
			capped: {
				maxPerSecond: maxInWindow(times, 1000),
				seconds: cappedSeconds,
				removed: capped.reduce((n, b) => n + (b.summary?.totals.flashback?.removed ?? 0), 0),
				users: sizes.capped.batches * sizes.capped.batchSize,
			},
		};
	} finally {
		await work.close({ removeFiles: true });
	}
}

export const queueModeSection: Section = {
	id: 'queue',
	title: 'Queue mode: main + 1, 2 and 4 workers sharing one limit',
	async workflows() {
		return []; // each cluster imports its own
	},
	async run(ctx: BenchContext): Promise<SectionResult> {
		const sizes = ctx.sizes.queue;
		const rows: Measured[] = [];
		/** Worker counts whose cluster or workload failed, with why (reported, never dropped). */
		const failures: string[] = [];
		for (const workers of sizes.workerCounts) {
			try {
				rows.push(await measureWorkers(ctx, workers));
			} catch (error) {
				const message = error instanceof Error ? error.message : String(error);
				failures.push(`${workers} worker(s): ${message}`);
				ctx.log(`queue: ${workers} worker(s) failed: ${message}`);
			}
		}
		const one = rows.find((r) => r.workers === 1);
		const cap = sizes.capped.maxRate;
		// The bucket holds one token plus 50 ms of the rate (timer lag), so a 1 s window may hold that many more.
		const capAllowed = cap + Math.ceil(1 + cap * 0.05);
		const bars: Bar[] = failures.map((failure) => ({
			name: `Queue mode, ${failure.split(':')[0]}: measured`,
			target: 'yes',
			measured: 'failed (below)',
			met: false,
		}));
		for (const r of rows) {
			const label = `Queue mode, ${r.workers} worker(s)`;
			const ratio = r.seconds / r.ideal;
			if (r.workers > 1)
				bars.push({
					name: `${label}: time ÷ ideal`,
					target: '≤ 1.10',
					measured: fixed(ratio, 2),
					met: ratio <= 1.1,
				});
			if (r.workers > 1 && one)
				bars.push({
					name: `${label}: time ÷ 1 worker's`,
					target: '≤ 1.00',
					measured: fixed(r.seconds / one.seconds, 2),
					met: r.seconds <= one.seconds,
				});
			bars.push(
				{
					name: `${label}: requests wasted on 429`,
					target: '< 2 %',
					measured: pct(r.limited, r.requests),
					met: r.limited / r.requests < 0.02,
				},
				{
					name: `${label}: duplicate calls, users not removed exactly once`,
					target: '0',
					measured: `${r.duplicates}, ${r.notOnce}`,
					met: r.duplicates === 0 && r.notOnce === 0,
				},
				{
					name: `${label}: GDPR p95 beside the batches ÷ alone`,
					target: '≤ 2.0',
					measured: fixed(r.gdprDuringP95 / r.gdprAloneP95, 1),
					met: r.gdprDuringP95 <= 2 * r.gdprAloneP95,
				},
				{
					name: `${label}: most requests in any 1 s, Max Rate ${cap}/s`,
					target: `≤ ${capAllowed}`,
					measured: String(r.capped.maxPerSecond),
					met: r.capped.maxPerSecond <= capAllowed,
				},
			);
		}
		const total = sizes.batches * sizes.batchSize + sizes.gdprCount;
		const markdown = [
			`One n8n 2.40.7 main and N \`n8n worker\` processes (\`EXECUTIONS_MODE=queue\`), one redis-server, one PostgreSQL 15, all on this 2-core machine; the packed package installed into each process's own user folder; no limit setting beyond the workflow's (the nodes use n8n's own Redis). Workload, the same for each N: ${sizes.batches} batches of ${sizes.batchSize} users posted at once to a webhook workflow (Webhook → Split Out → Offboard Users, Flashback only, Limits: start ${LIMITS.ratePerSecond} req/s, at most ${LIMITS.maxConcurrency} in flight), and ${fixed(sizes.gdprAfterMs / 1000, 0)} s later (as in section 4: the batches have found the hidden limit by then) ${sizes.gdprCount} one-person signed GDPR requests, one every ${sizes.gdprSpacingMs} ms. Flashback's hidden limit: ${sizes.hidden.rate} req/s, burst ${sizes.hidden.burst}, 429 + Retry-After; emulator latency 20–60 ms. Ideal: (${total} − ${sizes.hidden.burst}) ÷ ${sizes.hidden.rate}/s = ${fixed(rows[0]?.ideal ?? NaN, 1)} s, from the first batch posted to the last answer. "GDPR alone" is the p95 of ${sizes.aloneRequests} requests before the batches (after a warm-up). "CPU busy": the share of both cores' time (every process on the machine, /proc/stat) not idle while the batches ran.`,
			'',
			table(
				[
					'workers',
					'time (s)',
					'÷ ideal',
					'requests',
					'429',
					'duplicates',
					'not removed once',
					'most sent in 1 s',
					'GDPR p95 alone (ms)',
					'GDPR p95 beside (ms)',
					'executions per worker',
					'store',
					'CPU busy',
				],
				rows.map((r) => [
					r.workers,
					fixed(r.seconds, 1),
					fixed(r.seconds / r.ideal, 2),
					r.requests,
					`${r.limited} (${pct(r.limited, r.requests)})`,
					r.duplicates,
					r.notOnce,
					r.maxPerSecond,
					fixed(r.gdprAloneP95, 0),
					fixed(r.gdprDuringP95, 0),
					r.perWorker.join(' / '),
					r.stores.join(', '),
					`${fixed(r.cpuBusy * 100, 0)} %`,
				]),
			),
			'',
			"Where the GDPR requests' time went (p95 of each part, ms, from the emulator's log): before the DELETE that removed the subject reached Flashback (n8n's webhook, the queue, a worker, the limiter's wait, any 429 and `Retry-After` pause), Flashback's answer, and after it (n8n finishing the execution and answering).",
			'',
			table(
				[
					'workers',
					'before its DELETE, alone',
					'beside',
					'Flashback, alone',
					'beside',
					'after, alone',
					'beside',
				],
				rows.map((r) => [
					r.workers,
					fixed(r.gdprAloneSplit.beforeDelete, 0),
					fixed(r.gdprDuringSplit.beforeDelete, 0),
					fixed(r.gdprAloneSplit.system, 0),
					fixed(r.gdprDuringSplit.system, 0),
					fixed(r.gdprAloneSplit.after, 0),
					fixed(r.gdprDuringSplit.after, 0),
				]),
			),
			'',
			`Explicit maximum: the same cluster, Flashback without a hidden limit, ${sizes.capped.batches} batches of ${sizes.capped.batchSize} users at once through a workflow whose Limits say Max Rate ${cap} req/s. Counted by the emulator over every 1 s window; the bucket holds one token plus 50 ms of the rate, so up to ${capAllowed} may fall in one window.`,
			'',
			table(
				['workers', 'most requests in any 1 s', 'time (s)', 'removed'],
				rows.map((r) => [
					r.workers,
					r.capped.maxPerSecond,
					fixed(r.capped.seconds, 1),
					`${r.capped.removed} / ${r.capped.users}`,
				]),
			),
			...(failures.length
				? ['', `**Not measured** (the run failed): ${failures.map((f) => `${f}`).join('; ')}.`]
				: []),
		].join('\n');
		return {
			markdown,
			bars,
			checks: {
				failedWorkerCounts: failures.length,
				failedBatches: rows.reduce((n, r) => n + r.failedBatches, 0),
				duplicates: rows.reduce((n, r) => n + r.duplicates, 0),
				notRemovedOnce: rows.reduce((n, r) => n + r.notOnce, 0),
				gdprIncomplete: rows.reduce((n, r) => n + r.gdprIncomplete, 0),
				cappedMissing: rows.reduce((n, r) => n + r.capped.users - r.capped.removed, 0),
			},
		};
	},
};
