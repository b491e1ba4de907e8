/**
 * With the package's defaults: our node with no Limits per System at all (nobody told it a limit),
 * each row beside the HTTP Request node of a user who knows the limit — under Flashback's hidden
 * rate limit in three dialects (a long run and a short one), behind a concurrency cap answering
 * 503 + Retry-After, and with no limit at all (how far concurrency discovery goes). DESIGN §7's
 * first two bars, counted from the emulators' ground truth.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../e2e/n8n';
import {
	DEMO_SCOPES,
	demoPerson,
	type EmulatorConfig,
	type HeaderStyle,
	leaversCsv,
	type RecordedRequest,
} from '../../sandbox';
import { DEFAULT_LIMITS } from '../../src/engine/limiter';
import {
	inFlight,
	removalsPerSecond,
	sandboxTruth,
	timeline,
	type Truth,
	truthOf,
} from '../lib/groundTruth';
import { type MeasuredExecution, nodeRun } from '../lib/n8nHarness';
import {
	type Bar,
	type BenchContext,
	type Cell,
	fixed,
	pct,
	type Section,
	type SectionResult,
	seconds,
	table,
} from '../lib/report';
import type { Sizes } from '../lib/sizes';
import {
	HTTP_NODE,
	type HttpWay,
	httpRequestWorkflow,
	OFFBOARD_NODE,
	offboardCsvWorkflow,
} from '../lib/workflows';
import { requireRun, standaloneFlashback, totalsOf, userIds } from './rateLimits';

/** The three dialects of the hidden limit, and the bar of each on the long run (DESIGN §7). */
const DIALECTS: Array<{ style: HeaderStyle; key: string; label: string; longBar: number }> = [
	{ style: 'draft10', key: 'hdr', label: 'RateLimit headers (IETF draft-10)', longBar: 1.05 },
	{
		style: 'retry-after-seconds',
		key: 'ra',
		label: 'Retry-After (delay-seconds) only',
		longBar: 1.1,
	},
	{ style: 'none', key: 'none', label: 'no headers', longBar: 1.15 },
];
const SHORT_BAR = 1.25;
const CAP_BAR = 1.15;
/** Throughput with no limit, as a share of what the concurrency reached allows. */
const OPEN_SHARE = 0.8;
/** Requests wasted on 429/503, as a share of all requests sent (hidden-limit rows). */
const WASTE_BAR = 0.02;

type Kind = 'hidden' | 'cap' | 'open';

interface Row {
	kind: Kind;
	/** Our workflow's id; the HTTP Request one is `${id}-http`. */
	id: string;
	users: number;
	/** What the emulator hides, as the table names it. */
	limit: string;
	config: Partial<EmulatorConfig>;
	/** The row's ideal time (NaN with no limit: throughput is judged instead). */
	idealMs: number;
	/** Time ÷ ideal bar (NaN with no limit). */
	bar: number;
	/** Our run is killed after this (ms): ten times its ideal; with no limit, one request at a time. */
	capMs: number;
	http: { label: string; way: HttpWay };
}

const capOf = (sizes: Sizes, expectedMs: number): number =>
	Math.max(sizes.usualCapMinMs, 10 * expectedMs);

function rowsOf(sizes: Sizes): Row[] {
	const { hidden, longUsers, shortUsers, cap, open } = sizes.defaults;
	const interval = Math.round(1000 / hidden.rate);
	const rows: Row[] = [];
	for (const users of [longUsers, shortUsers])
		for (const d of DIALECTS)
			rows.push({
				kind: 'hidden',
				id: `dflt-fb${users}-${d.key}`,
				users,
				limit: `${hidden.rate} req/s, burst ${hidden.burst}, ${d.label}`,
				config: { rateLimit: { rate: hidden.rate, burst: hidden.burst, headers: d.style } },
				idealMs: ((users - hidden.burst) / hidden.rate) * 1000,
				bar: users === longUsers ? d.longBar : SHORT_BAR,
				capMs: capOf(sizes, ((users - hidden.burst) / hidden.rate) * 1000),
				http: {
					label: `HTTP Request, Batching 1 / ${interval} ms`,
					way: { batching: { batchSize: 1, batchInterval: interval } },
				},
			});
	// n8n fires each batch without awaiting it: the interval must outlast an answer, with a margin.
	const capInterval = cap.latencyMs + 50;
	for (const limit of cap.limits)
		rows.push({
			kind: 'cap',
			id: `dflt-cap${limit}`,
			users: cap.users,
			limit: `cap ${limit} in flight, 503 + Retry-After: ${cap.retryAfterSeconds}, ${cap.latencyMs} ms latency`,
			config: {
				concurrencyCap: { limit, status: 503, retryAfterSeconds: cap.retryAfterSeconds },
				latencyMs: { min: cap.latencyMs, max: cap.latencyMs },
			},
			idealMs: (cap.users * cap.latencyMs) / limit,
			bar: CAP_BAR,
			capMs: capOf(sizes, (cap.users * cap.latencyMs) / limit),
			http: {
				label: `HTTP Request, Batching ${limit} / ${capInterval} ms`,
				way: { batching: { batchSize: limit, batchInterval: capInterval } },
			},
		});
	rows.push({
		kind: 'open',
		id: 'dflt-open',
		users: open.users,
		limit: `none, ${open.latencyMs} ms latency`,
		config: { latencyMs: { min: open.latencyMs, max: open.latencyMs } },
		idealMs: NaN,
		bar: NaN,
		capMs: capOf(sizes, (open.users * open.latencyMs) / 10),
		// A user who knows there is no limit sends everything at once: no Batching.
		http: { label: 'HTTP Request, no Batching (all at once)', way: {} },
	});
	return rows;
}

/** The package's default concurrency ceiling: where discovered concurrency stops growing. */
export function defaultConcurrencyCeiling(): { field: string; value: number } {
	return { field: 'maxConcurrency', value: DEFAULT_LIMITS.maxConcurrency };
}

const csvName = (users: number): string => `defaults-leavers-${users}.csv`;
const httpPorts = new Map<string, number>();

interface Measured {
	row: Row;
	/** The workflow's node time (ms); NaN when the process was capped or exited without one. */
	nodeMs: number;
	wallMs: number;
	/** What the process did when it has no node time: "capped at 300 s", "exited 1". */
	note?: string;
	/** Failed pairs by the node's own count (ours), error answers the workflow saw (HTTP Request). */
	failed: number;
	truth: Truth;
	/** Answers that were 429 or 503 (wasted requests). */
	overload: number;
	inFlight: { peak: number; timeline: string };
	removalsPerSecond: number;
	timeline: string;
}

function measured(
	row: Row,
	run: MeasuredExecution,
	nodeMs: number,
	failed: number,
	truth: Truth,
	removals: readonly RecordedRequest[],
): Measured {
	return {
		row,
		nodeMs,
		wallMs: run.wallMs,
		failed,
		truth,
		overload: removals.filter((r) => r.status === 429 || r.status === 503).length,
		inFlight: inFlight(removals),
		removalsPerSecond: removalsPerSecond(removals),
		timeline: timeline(removals),
	};
}

async function runOurs(ctx: BenchContext, row: Row): Promise<Measured> {
	const sandbox = await ctx.n8n.startSandbox();
	try {
		const ids = userIds(row.users);
		for (const id of ids) sandbox.flashback.addMember(DEMO_SCOPES.flashback.workspaceId, id);
		sandbox.flashback.configure(row.config);
		ctx.log(`defaults: ${row.users} users, ${row.limit}`);
		const run = await ctx.n8n.execute(row.id, { capMs: row.capMs });
		const truth = sandboxTruth(sandbox, 'flashback', ids);
		if (run.capped) {
			// What it had done by then is in the table; its bars are missed (failed unknown).
			const removals = sandbox.flashback.removalRequests();
			const result = measured(row, run, NaN, NaN, truth, removals);
			result.note = `capped at ${seconds(row.capMs, 0)} s`;
			return result;
		}
		const node = requireRun(run, OFFBOARD_NODE, `defaults ${row.id}`);
		return measured(
			row,
			run,
			node.ms,
			totalsOf(node.first, 'flashback').failed ?? NaN,
			truth,
			sandbox.flashback.removalRequests(),
		);
	} finally {
		await sandbox.close();
	}
}

/** Every HTTP Request workflow side by side, each on its own emulator configured as its row's. */
async function runHttp(ctx: BenchContext, rows: Row[], capMs: number): Promise<Measured[]> {
	const emulators = await Promise.all(
		rows.map((row) =>
			standaloneFlashback(httpPorts.get(row.id) ?? 0, userIds(row.users), row.config),
		),
	);
	try {
		ctx.log(
			`defaults: ${rows.length} HTTP Request workflows side by side, cap ${seconds(capMs, 0)} s`,
		);
		const runs = await ctx.n8n.executeSideBySide(
			rows.map((row) => `${row.id}-http`),
			ctx.workDir,
			{ capMs },
		);
		return rows.map((row, i) => {
			const run = runs[i];
			const flashback = emulators[i];
			const removals = flashback.removalRequests();
			const node = nodeRun(run.execution, HTTP_NODE);
			const result = measured(
				row,
				run,
				node?.ms ?? NaN,
				removals.filter((r) => r.status !== 200).length,
				truthOf(
					removals,
					(id) => flashback.isMember(DEMO_SCOPES.flashback.workspaceId, id),
					userIds(row.users),
				),
				removals,
			);
			if (run.capped) result.note = `capped at ${seconds(capMs, 0)} s`;
			else if (!node) result.note = `exited ${run.code} without a run of ${HTTP_NODE}`;
			return result;
		});
	} finally {
		await Promise.all(emulators.map((e) => e.close()));
	}
}

const ratio = (m: Measured): number => m.nodeMs / m.row.idealMs;
const timeCell = (m: Measured): string =>
	m.note ?? `${seconds(m.nodeMs)} node, ${seconds(m.wallMs)} process`;

function comparisonTable(pairs: Array<[Measured, Measured]>, first: string): string {
	return table(
		[
			first,
			'workflow',
			'time (s)',
			'time ÷ ideal',
			'bar',
			'removed (ground truth)',
			'failed / left',
			'429 / 503 answers',
			'requests',
			'wasted on 429/503',
			'duplicate requests',
		],
		pairs.flatMap(([ours, http]): Cell[][] =>
			[ours, http].map((m) => [
				m === ours ? m.row.limit : '',
				m === ours ? '**Offboard Users**, package defaults' : m.row.http.label,
				timeCell(m),
				m === ours ? `**${fixed(ratio(m), 2)}**` : fixed(ratio(m), 2),
				m === ours ? `≤ ${fixed(m.row.bar, 2)}` : '',
				`${m.truth.removed} / ${m.row.users}`,
				`${m === ours ? m.failed : `${m.failed} error answers`} / ${m.row.users - m.truth.removed}`,
				m.overload,
				m.truth.requests,
				pct(m.overload, m.truth.requests),
				m.truth.duplicates,
			]),
		),
		['l', 'l'],
	);
}

/** Where concurrency discovery stopped with no limit, and why, from the emulator's log. */
function discoveryStopped(open: Measured): string {
	const ceiling = defaultConcurrencyCeiling();
	const { peak, timeline: perSecond } = open.inFlight;
	const buckets = perSecond.split(' ').map(Number);
	// Still rising: the most in flight was first reached in the run's last second.
	const risingAtEnd = buckets.indexOf(peak) === buckets.length - 1 && buckets.length > 1;
	const startingRate = DEFAULT_LIMITS.ratePerSecond;
	const ceilingText = `the package's default concurrency ceiling (\`DEFAULT_LIMITS.${ceiling.field}\` = ${ceiling.value})`;
	let why: string;
	if (peak >= ceiling.value)
		why = `Discovery stopped at ${peak} in flight: ${ceilingText}. Nothing pushed back (${open.overload} answers were 429 or 503), so the ceiling, not the system, set the pace.`;
	else if (open.overload > 0)
		why = `Discovery stopped at ${peak} in flight, below ${ceilingText}: ${open.overload} answers were 429 or 503 although the emulator has no limit.`;
	else if (open.removalsPerSecond <= 1.1 * startingRate)
		why = `Discovery stopped at ${peak} in flight, below ${ceilingText}, with no 429 or 503: the rate never rose above the package's default rate (\`DEFAULT_LIMITS.ratePerSecond\` = ${startingRate}/s; ${fixed(open.removalsPerSecond, 1)} removals/s measured), so the rate, not concurrency, held it back.`;
	else if (risingAtEnd)
		why = `Discovery stopped at ${peak} in flight, below ${ceilingText}, with no 429 or 503: the run ended while concurrency was still rising (the most in flight was first reached in its last second).`;
	else
		why = `Discovery stopped at ${peak} in flight, below ${ceilingText}, with no 429 or 503 and every answer after ${open.row.config.latencyMs?.min} ms: the limit was the client itself (n8n's own time per request on this machine), not the system.`;
	return `${why} Most requests in flight per second of the run (emulator's log): ${perSecond}.`;
}

export const defaultsSection: Section = {
	id: 'defaults',
	title: "With the package's defaults, beside the HTTP Request node that knows the limit",
	async workflows(ctx) {
		const workflows = [];
		for (const row of rowsOf(ctx.sizes)) {
			const csvPath = join(ctx.filesDir, csvName(row.users));
			workflows.push(
				offboardCsvWorkflow({
					id: row.id,
					csvPath,
					systems: ['flashback'],
					outputMode: 'summary',
					deletionThreshold: row.users,
					limits: null,
				}),
			);
			const port = await freePort();
			httpPorts.set(row.id, port);
			const baseUrls = { ...ctx.n8n.slot.baseUrls, flashback: `http://127.0.0.1:${port}` };
			workflows.push(
				httpRequestWorkflow({ id: `${row.id}-http`, csvPath, baseUrls, way: row.http.way }),
			);
		}
		return workflows;
	},
	async run(ctx): Promise<SectionResult> {
		const rows = rowsOf(ctx.sizes);
		for (const users of new Set(rows.map((r) => r.users)))
			writeFileSync(
				join(ctx.filesDir, csvName(users)),
				leaversCsv(Array.from({ length: users }, (_, i) => demoPerson(i + 1))),
			);
		const ours: Measured[] = [];
		for (const row of rows) ours.push(await runOurs(ctx, row));
		const longestIdealMs = Math.max(...rows.filter((r) => r.kind !== 'open').map((r) => r.idealMs));
		const capMs = Math.max(ctx.sizes.usualCapMinMs, 3 * longestIdealMs);
		const theirs = await runHttp(ctx, rows, capMs);
		const pairs = ours.map((m, i): [Measured, Measured] => [m, theirs[i]]);
		const of = (kind: Kind) => pairs.filter(([m]) => m.row.kind === kind);

		const bars: Bar[] = [];
		for (const [m] of pairs) {
			const what = `Defaults, ${m.row.users} users, ${m.row.limit}`;
			if (m.row.kind !== 'open')
				bars.push({
					name: `${what}: node time ÷ ideal`,
					target: `≤ ${fixed(m.row.bar, 2)}`,
					measured: fixed(ratio(m), 2),
					met: ratio(m) <= m.row.bar,
				});
			bars.push({
				name: `${what}: failed`,
				target: '0',
				measured: String(m.failed),
				met: m.failed === 0,
			});
			if (m.row.kind === 'hidden')
				bars.push({
					name: `${what}: requests wasted on 429/503`,
					target: `< ${fixed(WASTE_BAR * 100, 0)} %`,
					measured: pct(m.overload, m.truth.requests),
					met: m.overload / m.truth.requests < WASTE_BAR,
				});
		}
		const [open, openHttp] = of('open')[0];
		const latencyMs = ctx.sizes.defaults.open.latencyMs;
		const allowed = (open.inFlight.peak * 1000) / latencyMs;
		bars.push({
			name: `Defaults, ${open.row.users} users, no limit (${latencyMs} ms latency): removals/s ÷ (peak in flight ÷ latency)`,
			target: `≥ ${fixed(OPEN_SHARE, 2)}`,
			measured: `${fixed(open.removalsPerSecond / allowed, 2)} (${fixed(open.removalsPerSecond, 0)} of ${fixed(allowed, 0)}/s)`,
			met: open.removalsPerSecond >= OPEN_SHARE * allowed,
		});

		const { hidden, cap } = ctx.sizes.defaults;
		const markdown = [
			`Our node with **no Limits per System at all** — nobody told it a limit; its Options set only the deletion threshold (raised to the row's user count, above the default 500) — beside the HTTP Request node configured by a user who knows the limit (Batching sized to it, Retry On Fail 5 × 5 s, On Error continue). Each of our rows is its own \`n8n execute\` process (limits learned in one process never help the next) against a fresh emulator; each HTTP Request row runs on its own emulator configured as its row's, all of them side by side after ours (each its own n8n process and user-folder copy: they sleep far more than they compute), killed after ${seconds(capMs, 0)} s. Our runs are killed after ten times their ideal (with no limit: the time of one request at a time), and a killed row shows what the emulator saw by then. Time is each node's own \`executionTime\` from the run data ("process" is the whole \`n8n execute\`, n8n's boot included). Removed, 429/503 answers, requests and duplicates come from the emulator's log (ground truth); "failed" from our node's summary, and for the HTTP Request node the answers other than 200 it received (with On Error continue they become output items).`,
			'',
			`### Hidden limit: ${hidden.rate} req/s, burst ${hidden.burst}`,
			'',
			`Ideal = (N − burst) / rate: ${rows
				.filter((r) => r.kind === 'hidden' && r.id.endsWith(DIALECTS[0].key))
				.map((r) => `${seconds(r.idealMs)} s for ${r.users} users`)
				.join(
					', ',
				)}. The HTTP Request node reads no rate-limit header: it paces at exactly the limit and its emulator announces the limit in the same dialect as ours.`,
			'',
			comparisonTable(of('hidden'), 'hidden limit'),
			'',
			'Request timelines of our rows (requests accepted per second by the emulator, averaged over 5 s; 429s counted):',
			'',
			...of('hidden').map(([m]) => `- ${m.row.users} users, ${m.row.limit}: ${m.timeline}`),
			'',
			`### A concurrency cap answering 503 + Retry-After: ${cap.retryAfterSeconds}, ${cap.latencyMs} ms latency, no rate limit`,
			'',
			`Ideal = N × latency ÷ cap: ${of('cap')
				.map(([m]) => `${seconds(m.row.idealMs)} s at cap ${m.row.config.concurrencyCap?.limit}`)
				.join(
					', ',
				)}. The HTTP Request node sends a batch of cap size every ${cap.latencyMs + 50} ms (n8n 2.40.7 fires each batch without awaiting it, so the interval must outlast an answer).`,
			'',
			comparisonTable(of('cap'), 'cap'),
			'',
			...of('cap').map(
				([m, h]) =>
					`- Cap ${m.row.config.concurrencyCap?.limit}: most in flight at once — ours ${m.inFlight.peak}, HTTP Request ${h.inFlight.peak}; our most in flight per second: ${m.inFlight.timeline}`,
			),
			'',
			`### No limit at all, ${latencyMs} ms latency`,
			'',
			table(
				[
					'workflow',
					'time (s)',
					'removed (ground truth)',
					'failed / left',
					'removals/s',
					'most in flight',
					'in flight ÷ latency',
					'removals/s ÷ that',
				],
				[open, openHttp].map((m) => {
					const allows = (m.inFlight.peak * 1000) / latencyMs;
					return [
						m === open ? '**Offboard Users**, package defaults' : m.row.http.label,
						timeCell(m),
						`${m.truth.removed} / ${m.row.users}`,
						`${m === open ? m.failed : `${m.failed} error answers`} / ${m.row.users - m.truth.removed}`,
						fixed(m.removalsPerSecond, 0),
						m.inFlight.peak,
						`${fixed(allows, 0)}/s`,
						m === open
							? `**${fixed(m.removalsPerSecond / allows, 2)}**`
							: fixed(m.removalsPerSecond / allows, 2),
					];
				}),
				['l', 'r'],
			),
			'',
			`Removals/s = removals that took effect ÷ (first request to last answer), from the emulator's log; "most in flight" = the most requests between arrival and answer at any moment. ${discoveryStopped(open)}`,
		].join('\n');

		const checks: Record<string, number> = {};
		for (const [m, h] of pairs) {
			checks[`${m.row.id}.users`] = m.row.users;
			checks[`${m.row.id}.failed`] = m.failed;
			checks[`${m.row.id}.removed`] = m.truth.removed;
			checks[`${m.row.id}.duplicates`] = m.truth.duplicates;
			checks[`${m.row.id}.http.requests`] = h.truth.requests;
		}
		checks['open.peakInFlight'] = open.inFlight.peak;
		for (const [m] of of('cap')) checks[`${m.row.id}.capped`] = m.truth.capped;
		return { markdown, bars, checks };
	},
};
