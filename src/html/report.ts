/**
 * The HTML run report (DESIGN §9): one self-contained page beside the CSV report — the run's facts,
 * totals, a table and a timeline chart per system, the warnings, and the failures with what to do
 * next. No script at all, nothing fetched (see `page.ts` for the policy that proves it). Built
 * from what a run already keeps — `ReportBuilder` totals and warnings, a bounded sample of
 * failures, the engine's `RunTimeline` — so its size does not grow with the number of rows: a
 * 100,000-row run shows at most `FAILURE_ROWS_SHOWN` failures and points to the CSV for the rest.
 * Chart approach: see `chart.ts`.
 */
import type { OutcomeStatus, ReportedOutcome } from '../engine/outcome';
import { OUTCOME_STATUSES } from '../engine/outcome';
import type { Totals } from '../engine/report';
import type { SystemRunStats } from '../engine/run';
import type { RunTimeline, SystemTimeline } from '../engine/timeline';
import { SYSTEMS } from '../systems';
import type { SystemId } from '../systems/types';
import { chartSummary, timelineSvg } from './chart';
import { count, escapeHtml, htmlPage, timeHtml } from './page';

/** Failure rows the page shows at most: enough to act on, small enough to open on any machine. */
export const FAILURE_ROWS_SHOWN = 200;

export interface FailureRow {
	row: number;
	email?: string;
	/** The system's name as the report shows it ("Flashback", "Slack"). */
	system: string;
	userId: string;
	reason: string;
}

/** The failed outcomes of a run, as the report shows them: the first `limit` and a count. */
export class FailureSample {
	readonly rows: FailureRow[] = [];
	total = 0;

	constructor(readonly limit: number = FAILURE_ROWS_SHOWN) {}

	/** Keeps `outcome` if it failed and there is room; counts every failure. */
	add(outcome: ReportedOutcome, systemName: string): void {
		if (outcome.status !== 'failed') return;
		this.total++;
		if (this.rows.length < this.limit)
			this.rows.push({
				row: outcome.row,
				...(outcome.email !== undefined ? { email: outcome.email } : {}),
				system: systemName,
				userId: outcome.userId,
				reason: outcome.reason,
			});
	}
}

export interface ReportHtmlInput {
	generatedAt: Date;
	/** Unknown (undefined) when the report is made from outcome items rather than a run. */
	dryRun?: boolean;
	/** Where the run's limits were kept ("memory", "redis (n8n queue mode)"). */
	limitStore?: string;
	requestsToSend?: number;
	/** As `ReportBuilder.totals()` gives them: a seed system by id, a named app as `scim:Slack`. */
	totals: Partial<Totals>;
	warnings: readonly string[];
	/** Requests and 429s per system id, when the run counted them. */
	stats?: Readonly<Partial<Record<SystemId, SystemRunStats>>>;
	timeline?: RunTimeline;
	failures: { readonly rows: readonly FailureRow[]; readonly total: number };
	/** The CSV report beside this page, which holds every outcome. */
	csvFileName: string;
}

const STATUS_LABELS: Readonly<Record<OutcomeStatus, string>> = {
	removed: 'Removed',
	not_found: 'Not found',
	would_remove: 'Would remove',
	skipped: 'Skipped',
	failed: 'Failed',
};

const CSS = `
:root{color-scheme:light;--ink:#1f2328;--muted:#59636e;--line:#d1d9e0;--accepted:#0969da;--rate:#1f2328;--r429:#cf222e;--r503:#bc4c00;--pause:#f2d98d;--circuit:#f5b5b5}
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);max-width:60rem;margin:2rem auto;padding:0 1rem;-webkit-print-color-adjust:exact;print-color-adjust:exact}
h1{font-size:1.6rem;margin:0 0 .5rem}h2{font-size:1.25rem;margin:2rem 0 .5rem;border-bottom:1px solid var(--line)}h3{font-size:1.05rem;margin:1.5rem 0 .5rem}
table{border-collapse:collapse;margin:.5rem 0 1rem;font-variant-numeric:tabular-nums}
caption{text-align:left;font-weight:600;padding:.25rem 0;color:var(--muted)}
th,td{border:1px solid var(--line);padding:.25rem .6rem;text-align:left;vertical-align:top}
thead th,tfoot th{background:#f6f8fa}td.n,th.n{text-align:right}
table.failures{width:100%}td.reason{max-width:30rem}td.id{overflow-wrap:break-word}
.warnings li{margin:.25rem 0}.warn{border-left:4px solid var(--r503);padding:.25rem .75rem;background:#fff8c5}
.more{font-weight:600}.muted{color:var(--muted)}
figure{margin:.5rem 0 1rem}figcaption{font-size:.85rem;color:var(--muted)}
.chart{width:100%;height:auto;display:block}
.chart .axis line{stroke:var(--line)}.chart .axis text{font-size:12px;fill:var(--muted)}
.chart .pt{fill:var(--accepted)}.chart .rate{fill:none;stroke:var(--rate);stroke-width:1.5;stroke-dasharray:5 3}
.chart .r429{fill:var(--r429)}.chart .r503{fill:var(--r503)}
.chart .span.pause{fill:var(--pause);opacity:.6}.chart .span.circuit{fill:var(--circuit);opacity:.6}
.legend{list-style:none;padding:0;margin:.25rem 0;display:flex;flex-wrap:wrap;gap:.25rem 1rem}
.key{display:inline-block;width:.8rem;height:.8rem;margin-right:.3rem;vertical-align:-.1rem;border-radius:2px}
.k-accepted{background:var(--accepted);border-radius:50%}.k-rate{border-top:2px dashed var(--rate);height:0;border-radius:0}
.k-429{background:var(--r429)}.k-503{background:var(--r503)}.k-pause{background:var(--pause)}.k-circuit{background:var(--circuit)}
@page{margin:14mm}
@media print{body{margin:0;max-width:none;font-size:10pt}section.system{break-inside:avoid}h2{break-after:avoid}a{color:inherit}}
`.trim();

/** A totals key's system: `flashback` is Flashback, `scim:Slack` is the SCIM app Slack. */
export function systemOfKey(key: string): { system: string; name: string } {
	const colon = key.indexOf(':');
	if (colon >= 0) return { system: key.slice(0, colon), name: key.slice(colon + 1) };
	return { system: key, name: SYSTEMS[key as SystemId]?.displayName ?? key };
}

/** The timeline a totals key was recorded under: same system id and name. */
function timelineOf(key: string, timeline: RunTimeline | undefined): SystemTimeline | undefined {
	const { system, name } = systemOfKey(key);
	return timeline?.systems.find((t) => t.system === system && t.name === name);
}

function totalOf(counts: Record<OutcomeStatus, number>): number {
	return OUTCOME_STATUSES.reduce((n, s) => n + counts[s], 0);
}

function factsHtml(input: ReportHtmlInput, outcomes: number): string {
	const rows: Array<[string, string]> = [['Generated', timeHtml(input.generatedAt.toISOString())]];
	if (input.dryRun !== undefined)
		rows.push(['Mode', input.dryRun ? 'Dry run: nothing was sent' : 'Live run']);
	if (input.timeline) {
		rows.push(['Started', timeHtml(input.timeline.startedAt)]);
		rows.push(['Duration', `${count(Math.round(input.timeline.durationS))} s`]);
	}
	rows.push(['Outcomes', count(outcomes)]);
	if (input.requestsToSend !== undefined) rows.push(['Pairs to send', count(input.requestsToSend)]);
	if (input.limitStore !== undefined) rows.push(['Limits kept in', escapeHtml(input.limitStore)]);
	return [
		'<table class="facts"><caption>The run</caption><tbody>',
		...rows.map(([label, value]) => `<tr><th scope="row">${label}</th><td>${value}</td></tr>`),
		'</tbody></table>',
	].join('');
}

function totalsHtml(totals: Partial<Totals>): string {
	const keys = Object.keys(totals);
	const head = `<tr><th scope="col">System</th>${OUTCOME_STATUSES.map((s) => `<th scope="col" class="n">${STATUS_LABELS[s]}</th>`).join('')}<th scope="col" class="n">Total</th></tr>`;
	const body = keys.map((key) => {
		const counts = totals[key] as Record<OutcomeStatus, number>;
		return `<tr><th scope="row">${escapeHtml(systemOfKey(key).name)}</th>${OUTCOME_STATUSES.map((s) => `<td class="n">${count(counts[s])}</td>`).join('')}<td class="n">${count(totalOf(counts))}</td></tr>`;
	});
	const sum = (s: OutcomeStatus): number =>
		keys.reduce((n, key) => n + (totals[key] as Record<OutcomeStatus, number>)[s], 0);
	const foot = `<tr><th scope="row">All systems</th>${OUTCOME_STATUSES.map((s) => `<td class="n">${count(sum(s))}</td>`).join('')}<td class="n">${count(OUTCOME_STATUSES.reduce((n, s) => n + sum(s), 0))}</td></tr>`;
	return `<table class="totals"><caption>Outcomes per system</caption><thead>${head}</thead><tbody>${body.join('')}</tbody><tfoot>${foot}</tfoot></table>`;
}

/** Requests, 429s and pauses of one system: from its timeline, else from the run's counters. */
function trafficRows(
	key: string,
	input: ReportHtmlInput,
	recorded: SystemTimeline | undefined,
): Array<[string, string]> {
	if (recorded) {
		const sum = (pick: (s: SystemTimeline['seconds'][number]) => number): number =>
			recorded.seconds.reduce((n, s) => n + pick(s), 0);
		const pauses = recorded.spans.filter((s) => s.kind === 'pause');
		const pausedS = pauses.reduce((n, s) => n + (s.to - s.from), 0);
		const circuits = recorded.spans.filter((s) => s.kind === 'circuit').length;
		return [
			[
				'Requests',
				count(sum((s) => s.accepted + s.rateLimited + s.overloaded + s.transportErrors)),
			],
			['Answers 429', count(sum((s) => s.rateLimited))],
			['Answers 503 (overload)', count(sum((s) => s.overloaded))],
			['No answer (timeout, reset)', count(sum((s) => s.transportErrors))],
			['Pauses', `${count(pauses.length)} (${count(Math.round(pausedS))} s)`],
			['Circuit opened', count(circuits)],
		];
	}
	// The run counts per system id: its numbers belong to a named app only if it is the only one.
	const { system } = systemOfKey(key);
	const sharing = Object.keys(input.totals).filter((k) => systemOfKey(k).system === system);
	const stats = sharing.length === 1 ? input.stats?.[system as SystemId] : undefined;
	if (!stats) return [];
	return [
		['Requests', count(stats.requests)],
		['Answers 429', count(stats.rateLimited)],
		['No answer (timeout, reset)', count(stats.transportErrors)],
	];
}

const LEGEND = [
	'<ul class="legend">',
	'<li><span class="key k-accepted"></span>accepted per second</li>',
	'<li><span class="key k-rate"></span>learned rate</li>',
	'<li><span class="key k-429"></span>429 answers</li>',
	'<li><span class="key k-503"></span>503 (overload) answers</li>',
	'<li><span class="key k-pause"></span>pause</li>',
	'<li><span class="key k-circuit"></span>circuit open</li>',
	'</ul>',
].join('');

function systemHtml(key: string, index: number, input: ReportHtmlInput): string {
	const { name } = systemOfKey(key);
	const counts = input.totals[key] as Record<OutcomeStatus, number>;
	const recorded = timelineOf(key, input.timeline);
	const rows: Array<[string, string]> = [
		...OUTCOME_STATUSES.map((s): [string, string] => [STATUS_LABELS[s], count(counts[s])]),
		['Total', count(totalOf(counts))],
		...trafficRows(key, input, recorded),
	];
	const table = `<table class="system-table"><caption>${escapeHtml(name)}: outcomes and traffic</caption><tbody>${rows.map(([label, value]) => `<tr><th scope="row">${label}</th><td class="n">${value}</td></tr>`).join('')}</tbody></table>`;
	let chart = '';
	if (recorded)
		chart = `<figure>${timelineSvg(recorded, input.timeline?.durationS ?? 0, `chart-${index}`)}<figcaption>${LEGEND}${escapeHtml(chartSummary(recorded))}.</figcaption></figure>`;
	else if (input.timeline) chart = '<p class="muted">No timeline recorded for this system.</p>';
	return `<section class="system"><h3>${escapeHtml(name)}</h3>${table}${chart}</section>`;
}

function failuresHtml(input: ReportHtmlInput): string {
	const { rows, total } = input.failures;
	const csv = escapeHtml(input.csvFileName);
	if (total === 0) return '<h2>Failures</h2><p>No pair failed.</p>';
	const head =
		'<tr><th scope="col" class="n">Row</th><th scope="col">Email</th><th scope="col">System</th><th scope="col">User id</th><th scope="col">Reason and next step</th></tr>';
	const body = rows.map(
		(f) =>
			`<tr><td class="n">${f.row}</td><td class="id">${escapeHtml(f.email ?? '')}</td><td>${escapeHtml(f.system)}</td><td class="id">${escapeHtml(f.userId)}</td><td class="reason">${escapeHtml(f.reason)}</td></tr>`,
	);
	const hidden = total - rows.length;
	const more =
		hidden > 0
			? `<p class="more">${count(hidden)} more ${hidden === 1 ? 'failure' : 'failures'} not shown: see the CSV report (${csv}).</p>`
			: '';
	return `<h2>Failures (${count(total)})</h2><p>Feed the CSV report (<a href="${csv}">${csv}</a>) back as input to retry exactly the failed pairs.</p><table class="failures"><caption>Failed pairs${hidden > 0 ? `: the first ${count(rows.length)} of ${count(total)}` : ''}</caption><thead>${head}</thead><tbody>${body.join('')}</tbody></table>${more}`;
}

export function renderReportHtml(input: ReportHtmlInput): string {
	const keys = Object.keys(input.totals);
	const outcomes = keys.reduce(
		(n, key) => n + totalOf(input.totals[key] as Record<OutcomeStatus, number>),
		0,
	);
	const csv = escapeHtml(input.csvFileName);
	const warnings =
		input.warnings.length > 0
			? `<h2>Warnings</h2><ul class="warnings">${input.warnings.map((w) => `<li class="warn">${escapeHtml(w)}</li>`).join('')}</ul>`
			: '';
	const body = [
		`<header><h1>Offboarding run report${input.dryRun ? ' (dry run)' : ''}</h1>`,
		`<p>Every outcome, one line per user and system, is in the CSV report (<a href="${csv}">${csv}</a>).</p></header>`,
		'<main>',
		factsHtml(input, outcomes),
		'<h2>Totals</h2>',
		totalsHtml(input.totals),
		warnings,
		'<h2>Systems</h2>',
		input.timeline
			? ''
			: '<p class="muted">No timeline recorded for this run: the tables show the outcomes only.</p>',
		...keys.map((key, index) => systemHtml(key, index, input)),
		failuresHtml(input),
		'</main>',
	].join('\n');
	return htmlPage({ title: 'Offboarding run report', css: CSS, body });
}
