/**
 * Sections 1 and 2: 2,000 users behind Flashback's hidden 20 req/s (burst 5) in real n8n — our node
 * with the limit announced by Retry-After, by RateLimit headers only, or not at all; then the usual
 * n8n ways on the same workload (HTTP Request with Batching + Retry On Fail, Loop Over Items + Wait),
 * counted from the emulator's ground truth and capped in wall time.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../e2e/n8n';
import {
	DEMO_CREDENTIALS,
	DEMO_SCOPES,
	demoPerson,
	type EmulatorConfig,
	FlashbackEmulator,
	type HeaderStyle,
	leaversCsv,
} from '../../sandbox';
import {
	acceptedWithin,
	densest,
	rateLimitEvents,
	sandboxTruth,
	timeline,
	type Truth,
	truthOf,
} from '../lib/groundTruth';
import { type MeasuredExecution, nodeRun } from '../lib/n8nHarness';
import {
	type Bar,
	type BenchContext,
	fixed,
	pct,
	type Section,
	type SectionResult,
	seconds,
	table,
} from '../lib/report';
import {
	type HttpWay,
	httpRequestWorkflow,
	OFFBOARD_NODE,
	offboardCsvWorkflow,
} from '../lib/workflows';

export const OUR_VARIANTS: Array<{ style: HeaderStyle; label: string; bar: number }> = [
	{ style: 'retry-after-seconds', label: 'Retry-After (delay-seconds)', bar: 1.1 },
	{ style: 'draft10', label: 'RateLimit headers only (IETF draft-10)', bar: 1.1 },
	{ style: 'none', label: 'no headers (adaptation alone)', bar: 1.3 },
];

const USUAL_WAYS: Array<{ id: string; label: string; way: HttpWay }> = [
	{
		id: 'usual-batch10',
		label: 'HTTP Request, Batching 10 / 500 ms, Retry On Fail 5 × 5 s, On Error continue',
		way: { batching: { batchSize: 10, batchInterval: 500 } },
	},
	{
		id: 'usual-batch1',
		label:
			'HTTP Request, Batching 1 / 50 ms (a user who knows the limit), Retry On Fail 5 × 5 s, On Error continue',
		way: { batching: { batchSize: 1, batchInterval: 50 } },
	},
	{
		id: 'usual-loop',
		label:
			'Loop Over Items 10 + Wait 1 s around HTTP Request (Retry On Fail 5 × 5 s, On Error continue)',
		way: { loop: { batchSize: 10, waitSeconds: 1 } },
	},
];

const CSV_NAME = 'rate-limit-leavers.csv';
const usualPorts = new Map<string, number>();

export interface OurRow {
	label: string;
	style: HeaderStyle;
	nodeMs: number;
	wallMs: number;
	idealMs: number;
	ratio: number;
	bar: number;
	failed: number;
	truth: Truth;
	/** Accepted per second in 5 s buckets (emulator's log). */
	timeline: string;
	/** Most arrivals within 250 ms after the first 10 s (the hidden bucket holds `burst`). */
	densest: number;
	/** 429 events (429s more than 1 s apart start a new one): one pause each with Retry-After. */
	events: number;
	/** Accepted in the first 10 s (ideal: burst + 10 × rate). */
	firstTenSeconds: number;
}

/** Flashback ids of the first `n` demo people (the rows of `leaversCsv`). */
export function userIds(n: number): string[] {
	return Array.from({ length: n }, (_, i) => demoPerson(i + 1).flashbackUserId);
}

/** The summary item's totals for one system. */
export function totalsOf(
	first: Record<string, unknown> | undefined,
	system: string,
): Record<string, number> {
	const totals = (first?.totals ?? {}) as Record<string, Record<string, number>>;
	return totals[system] ?? {};
}

async function runOurs(
	ctx: BenchContext,
	style: HeaderStyle,
	label: string,
	bar: number,
): Promise<OurRow> {
	const { users, hiddenRate, burst } = ctx.sizes;
	const sandbox = await ctx.n8n.startSandbox();
	try {
		const ids = userIds(users);
		for (const id of ids) sandbox.flashback.addMember(DEMO_SCOPES.flashback.workspaceId, id);
		sandbox.flashback.configure({ rateLimit: { rate: hiddenRate, burst, headers: style } });
		ctx.log(`utilisation: ${users} users, hidden ${hiddenRate} req/s, ${style}`);
		const run = await ctx.n8n.execute(`util-${style}`);
		const node = requireRun(run, OFFBOARD_NODE, `utilisation ${style}`);
		const idealMs = ((users - burst) / hiddenRate) * 1000;
		return {
			label,
			style,
			nodeMs: node.ms,
			wallMs: run.wallMs,
			idealMs,
			ratio: node.ms / idealMs,
			bar,
			failed: totalsOf(node.first, 'flashback').failed ?? NaN,
			truth: sandboxTruth(sandbox, 'flashback', ids),
			timeline: timeline(sandbox.flashback.removalRequests()),
			densest: densest(sandbox.flashback.removalRequests(), 250, 10_000),
			events: rateLimitEvents(sandbox.flashback.removalRequests()),
			firstTenSeconds: acceptedWithin(sandbox.flashback.removalRequests(), 10_000),
		};
	} finally {
		await sandbox.close();
	}
}

export function requireRun(
	run: MeasuredExecution,
	nodeName: string,
	what: string,
): NonNullable<ReturnType<typeof nodeRun>> {
	const node = nodeRun(run.execution, nodeName);
	if (!node || run.execution?.status !== 'success')
		throw new Error(
			`${what}: n8n execute exited ${run.code} without a successful run of ${nodeName}:\n${run.stdoutTail}`,
		);
	return node;
}

interface UsualRow {
	label: string;
	wallMs: number;
	capped: boolean;
	capMs: number;
	truth: Truth;
	/** DELETEs answered with something other than 200 or 429 (what the workflow saw as errors). */
	otherErrors: number;
}

/** A Flashback emulator alone on a fixed port (the usual-way workflows carry its URL). */
export async function standaloneFlashback(
	port: number,
	ids: readonly string[],
	config: Partial<EmulatorConfig>,
): Promise<FlashbackEmulator> {
	const flashback = new FlashbackEmulator();
	flashback.accounts.set(DEMO_CREDENTIALS.flashback.token, DEMO_CREDENTIALS.flashback.accountId);
	flashback.addWorkspace(DEMO_SCOPES.flashback.workspaceId, [DEMO_CREDENTIALS.flashback.accountId]);
	for (const id of ids) flashback.addMember(DEMO_SCOPES.flashback.workspaceId, id);
	flashback.configure(config);
	await flashback.listen(port);
	return flashback;
}

async function runUsualWays(ctx: BenchContext, capMs: number): Promise<UsualRow[]> {
	const { users, hiddenRate, burst } = ctx.sizes;
	const ids = userIds(users);
	const emulators = await Promise.all(
		USUAL_WAYS.map((u) =>
			standaloneFlashback(usualPorts.get(u.id) ?? 0, ids, {
				rateLimit: { rate: hiddenRate, burst, headers: 'retry-after-seconds' },
			}),
		),
	);
	try {
		ctx.log(
			`usual way: ${USUAL_WAYS.length} workflows side by side, each its own n8n process and emulator, cap ${seconds(capMs, 0)} s`,
		);
		// Side by side, each in its own copy of the user folder: they wait far more than they compute.
		const runs = await ctx.n8n.executeSideBySide(
			USUAL_WAYS.map((u) => u.id),
			ctx.workDir,
			{ capMs, parseOutput: false },
		);
		return USUAL_WAYS.map((u, i): UsualRow => {
			const flashback = emulators[i];
			const removals = flashback.removalRequests();
			if (!runs[i].capped && runs[i].code !== 0)
				throw new Error(`${u.id}: n8n execute exited ${runs[i].code}:\n${runs[i].stdoutTail}`);
			return {
				label: u.label,
				wallMs: runs[i].wallMs,
				capped: runs[i].capped,
				capMs,
				truth: truthOf(
					removals,
					(id) => flashback.isMember(DEMO_SCOPES.flashback.workspaceId, id),
					ids,
				),
				otherErrors: removals.filter((r) => r.status !== 200 && r.status !== 429).length,
			};
		});
	} finally {
		await Promise.all(emulators.map((e) => e.close()));
	}
}

export const rateLimitsSection: Section = {
	id: 'rate-limits',
	title: 'Rate-limit utilisation, beside the usual n8n way',
	async workflows(ctx) {
		const csvPath = join(ctx.filesDir, CSV_NAME);
		const ours = OUR_VARIANTS.map((v) =>
			offboardCsvWorkflow({
				id: `util-${v.style}`,
				csvPath,
				systems: ['flashback'],
				outputMode: 'summary',
				deletionThreshold: ctx.sizes.users,
			}),
		);
		const theirs = [];
		for (const u of USUAL_WAYS) {
			const port = await freePort();
			usualPorts.set(u.id, port);
			const baseUrls = { ...ctx.n8n.slot.baseUrls, flashback: `http://127.0.0.1:${port}` };
			theirs.push(httpRequestWorkflow({ id: u.id, csvPath, baseUrls, way: u.way }));
		}
		return [...ours, ...theirs];
	},
	async run(ctx): Promise<SectionResult> {
		const { users, hiddenRate, burst } = ctx.sizes;
		writeFileSync(
			join(ctx.filesDir, CSV_NAME),
			leaversCsv(Array.from({ length: users }, (_, i) => demoPerson(i + 1))),
		);
		const ours: OurRow[] = [];
		for (const v of OUR_VARIANTS) ours.push(await runOurs(ctx, v.style, v.label, v.bar));
		ctx.shared.set('flashbackAloneMs', ours[0].nodeMs);
		const capMs = Math.max(ctx.sizes.usualCapMinMs, ctx.sizes.usualCapFactor * ours[0].wallMs);
		const theirs = await runUsualWays(ctx, capMs);

		const bars: Bar[] = [];
		for (const row of ours) {
			const wasted = row.truth.rateLimited / row.truth.requests;
			bars.push({
				name: `Utilisation, ${row.label}: node time ÷ ideal`,
				target: `≤ ${fixed(row.bar, 2)}`,
				measured: fixed(row.ratio, 2),
				met: row.ratio <= row.bar,
			});
			bars.push({
				name: `Utilisation, ${row.label}: failed`,
				target: '0',
				measured: String(row.failed),
				met: row.failed === 0,
			});
			if (row.bar <= 1.1)
				bars.push({
					name: `Utilisation, ${row.label}: requests wasted on 429`,
					target: '< 2 %',
					measured: pct(row.truth.rateLimited, row.truth.requests),
					met: wasted < 0.02,
				});
		}

		const idealMs = ((users - burst) / hiddenRate) * 1000;
		const main = table(
			[
				'workflow',
				'limit announced by',
				'time (s)',
				'time ÷ ideal',
				'removed (ground truth)',
				'failed / left',
				'429s received',
				'requests sent',
				'wasted on 429',
				'duplicate DELETEs',
			],
			[
				...ours.map((r) => [
					`**Offboard Users** (this package)`,
					r.label,
					`${seconds(r.nodeMs)} node, ${seconds(r.wallMs)} process`,
					`**${fixed(r.ratio, 2)}**`,
					`${r.truth.removed} / ${users}`,
					`${r.failed} / ${users - r.truth.removed}`,
					r.truth.rateLimited,
					r.truth.requests,
					pct(r.truth.rateLimited, r.truth.requests),
					r.truth.duplicates,
				]),
				...theirs.map((r) => [
					r.label,
					'Retry-After (ignored)',
					r.capped ? `capped at ${seconds(r.capMs, 0)} process` : `${seconds(r.wallMs)} process`,
					r.capped ? '–' : fixed((r.wallMs - ours[0].wallMs + ours[0].nodeMs) / idealMs, 2),
					`${r.truth.removed} / ${users}`,
					`${r.otherErrors + r.truth.rateLimited} error answers / ${users - r.truth.removed}`,
					r.truth.rateLimited,
					r.truth.requests,
					pct(r.truth.rateLimited, r.truth.requests),
					r.truth.duplicates,
				]),
			],
			['l', 'l'],
		);

		const markdown = [
			`${users} users to remove from Flashback, whose hidden limit is ${hiddenRate} req/s with a burst of ${burst}. Ideal = (N − burst) / rate = **${seconds(idealMs)} s**. Each row is its own \`n8n execute\` process (limits learned in one run never help the next) against a fresh emulator; the removed count, 429s, requests and duplicates come from the emulator's own log (ground truth), "failed" from the node's summary.`,
			'',
			`Our node is configured with a generous ceiling it does not know to be wrong (Limits per System: rate ${100} req/s, concurrency 8, 8 attempts); time is the Offboard Users node's own \`executionTime\` from the run data, "process" is the whole \`n8n execute\` including n8n's boot. The usual-way rows have no node time of their own to compare, so their "time ÷ ideal" is their process time minus our boot overhead (${seconds(ours[0].wallMs - ours[0].nodeMs)} s), and "–" when capped. The three usual-way workflows ran side by side (each its own n8n process, user-folder copy and emulator: they sleep far more than they compute) and were killed after ${seconds(capMs, 0)} s (${ctx.sizes.usualCapFactor} × our Retry-After process time); what they had done by then is what the emulator shows.`,
			'',
			main,
			'',
			'Request timelines of our rows (requests accepted per second by the emulator, averaged over 5 s; 429s counted):',
			'',
			...ours.map(
				(r) =>
					`- ${r.label}: ${r.timeline} — most arrivals within any 250 ms after the first 10 s: ${r.densest} (at ${hiddenRate} req/s, ${fixed(hiddenRate / 4, 0)} are due in 250 ms; the bucket absorbs ${burst} more)`,
			),
			'',
			'Where the time above ideal went, from the same logs:',
			'',
			...ours.map((r) => {
				const over = r.nodeMs - r.idealMs;
				const startupLoss = (burst + 10 * hiddenRate - r.firstTenSeconds) / hiddenRate;
				return `- ${r.label}: ${seconds(over)} s over ideal. The first 10 s, while the limit is being found, accepted ${r.firstTenSeconds} requests of an ideal ${burst + 10 * hiddenRate} (≈ ${fixed(startupLoss, 1)} s lost). ${r.events} 429 event${r.events === 1 ? '' : 's'}${r.style === 'none' ? " (no pause: each 429 costs its request and that pair's backoff)" : ` (each pauses the whole system for ${r.style === 'draft10' ? 'the announced reset' : 'Retry-After'}: the emulator's wait of a few ms rounded up to whole seconds, as the header requires, ≈ ${r.events} s)`}; the rest is pacing just under the learned ceiling (95–97 %) and n8n's own per-request time.`;
			}),
			'',
			'How the usual ways behave, read from n8n 2.40.7\'s source: the HTTP Request node fires each batch without awaiting it and sleeps between batches, so Batching 10 / 500 ms sends bursts of 10 into a bucket of 5; with On Error "continue" a 429 becomes an output item, and Retry On Fail re-runs the **whole node** (every item again) only when the *first* output item is an error — otherwise it never retries. Loop Over Items + Wait sends each batch of 10 at once too.',
		].join('\n');
		return {
			markdown,
			bars,
			checks: {
				users,
				...Object.fromEntries(
					ours.flatMap((r, i) => [
						[`ours${i}.failed`, r.failed],
						[`ours${i}.removed`, r.truth.removed],
						[`ours${i}.duplicates`, r.truth.duplicates],
					]),
				),
				...Object.fromEntries(theirs.map((r, i) => [`usual${i}.requests`, r.truth.requests])),
			},
		};
	},
};
