/**
 * The three ways a run's outcomes become a node's output, one small function each: one item per
 * outcome, one summary item with the CSV report and the HTML report as binary data, or one GDPR
 * receipt (with its printable page) per input item. The reports and the receipt are made here only
 * (`storeReport`, `storeReportHtml`, `receiptItem`): the Offboarding Report node makes them from
 * outcome items through the same functions.
 */
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import type { IBinaryData, IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import type { Offboarding } from '../engine/offboard';
import type { RunTimeline } from '../engine/timeline';
import type { PairOutcome, ReportedOutcome } from '../engine/outcome';
import {
	type NameOf,
	type NamedSystem,
	namedReportLine,
	needsSystemName,
	ReportBuilder,
	reportHeaderLine,
	reportLine,
	totalsKey,
} from '../engine/report';
import type { UserIdCount } from '../engine/plan';
import { buildReceipt } from '../receipt';
import { FailureSample, type ReportHtmlInput, renderReportHtml } from '../html/report';
import { type ReceiptJson, renderReceiptHtml } from '../html/receipt';
import { outcomeItem } from './items';
import type { LimitStoreKind } from './limitStore';

export type OutputMode = 'perResult' | 'summary' | 'receipt';

export interface OutputContext {
	context: IExecuteFunctions;
	run: Offboarding;
	/** The input items (outcomes pair to them). */
	itemCount: number;
	/** The input item an outcome belongs to: its row's item, or item 0 for a file. */
	itemOf: (outcome: PairOutcome) => number;
	/** The name an outcome's system went by in this node (a SCIM app's own name). */
	nameOf: NameOf;
	/** The node's systems, as they are named: whether the CSV report needs its `system_name` column. */
	systems: readonly NamedSystem[];
	/** The node's On Error is "continue (using error output)": failed pairs go there. */
	routeErrors: boolean;
	dryRun: boolean;
	receivedAt: Date;
	/** The receipt's request id for an input item. */
	requestIdOf: (item: number) => string;
	/** Where this run's limits were kept: the summary says so. */
	limitStore: LimitStoreKind;
	/** What the engine recorded over time, for the HTML report's charts (none: no charts). */
	timeline?: () => RunTimeline | undefined;
}

/** The CSV report's file name; the HTML report names it as the place of every outcome. */
export const REPORT_CSV_FILE = 'offboarding-report.csv';
export const REPORT_HTML_FILE = 'report.html';

/** An HTML page as n8n binary data. Small (the report is bounded, see `html/report.ts`): a buffer. */
async function storeHtml(
	context: IExecuteFunctions,
	html: string,
	fileName: string,
): Promise<IBinaryData> {
	return await context.helpers.prepareBinaryData(Buffer.from(html, 'utf8'), fileName, 'text/html');
}

/** The HTML run report as `report.html` binary data. */
export async function storeReportHtml(
	context: IExecuteFunctions,
	input: Omit<ReportHtmlInput, 'csvFileName'>,
): Promise<IBinaryData> {
	return await storeHtml(
		context,
		renderReportHtml({ ...input, csvFileName: REPORT_CSV_FILE }),
		REPORT_HTML_FILE,
	);
}

/** `gdpr-receipt-DSR-42.html`: the request id, kept to characters every file system accepts. */
export function receiptFileName(requestId: string): string {
	// No leading dot or dash (a hidden file, an option), no trailing dot (Windows drops it).
	const safe = requestId
		.replace(/[^A-Za-z0-9._-]+/g, '-')
		.slice(0, 80)
		.replace(/^[.-]+|[.-]+$/g, '');
	return safe === '' ? 'gdpr-receipt.html' : `gdpr-receipt-${safe}.html`;
}

/** What every mode ends with: the report's warnings (and `more`) as execution hints (and returned). */
export function hintWarnings(
	context: IExecuteFunctions,
	report: ReportBuilder,
	more: readonly string[] = [],
): string[] {
	const warnings = [...report.warnings(), ...more];
	if (warnings.length > 0)
		context.addExecutionHints(
			...warnings.map((message) => ({ message, type: 'warning' as const })),
		);
	return warnings;
}

/** Where a system's ids were read, in a sentence: `in "Flashback ID"`, `from the value of …`. */
function readFrom(count: UserIdCount): string {
	return 'field' in count ? `in "${count.field}"` : `from the ${count.given}`;
}

/** Per system of the node (keyed as the totals are): the rows with and without a user id. */
function userIdCounts(out: OutputContext): Record<string, UserIdCount> {
	const counts: Record<string, UserIdCount> = {};
	for (const named of out.systems) {
		const count = out.run.userIds[named.system];
		if (count) counts[totalsKey(named)] = { ...count };
	}
	return counts;
}

/**
 * A system for which no row had a user id: nothing was sent there, which is how a wrong column
 * mapping looks. A dry run also says, per system, how many rows had one (an info hint each).
 */
function userIdWarnings(out: OutputContext): string[] {
	const warnings: string[] = [];
	const hints: string[] = [];
	for (const { system, name } of out.systems) {
		const count = out.run.userIds[system];
		if (!count) continue;
		const rows = count.withId + count.missingId + count.unreadable;
		if (count.withId === 0 && count.missingId > 0)
			warnings.push(
				`${name}: ${rows === 1 ? 'the one row has no' : `none of the ${rows} rows has a`} user id ${readFrom(count)}: nothing was sent there. Check ${'field' in count ? 'the column it is read from' : 'what gives it'}.`,
			);
		if (out.dryRun)
			hints.push(
				`${name}: ${count.withId} of ${rows} rows with a user id ${readFrom(count)}, ${count.missingId} skipped without one${count.unreadable > 0 ? `, ${count.unreadable} unreadable (failed)` : ''}`,
			);
	}
	if (hints.length > 0)
		out.context.addExecutionHints(...hints.map((message) => ({ message, type: 'info' as const })));
	return warnings;
}

/** Input order: by row, then as the plan made the row's pairs (system order, then scopes). */
function inputOrder(a: PairOutcome, b: PairOutcome): number {
	const seq = (o: PairOutcome): number => Number(o.pairId.slice(o.pairId.lastIndexOf('/') + 1));
	return a.row - b.row || seq(a) - seq(b);
}

/** One item per (row, system, scope) pair, in input order. */
export async function perResultOutput(out: OutputContext): Promise<INodeExecutionData[][]> {
	const report = new ReportBuilder();
	const outcomes: PairOutcome[] = [];
	for await (const outcome of out.run) {
		report.add(outcome, out.nameOf(outcome));
		outcomes.push(outcome);
	}
	hintWarnings(out.context, report, userIdWarnings(out));
	outcomes.sort(inputOrder);
	return [
		outcomes.map((outcome) =>
			outcomeItem(out.context, outcome, out.nameOf(outcome), out.itemOf(outcome), out.routeErrors),
		),
	];
}

export interface ReceiptRequest {
	requestId: string;
	receivedAt: Date;
	completedAt: Date;
	outcomes: readonly ReportedOutcome[];
	nameOf: NameOf;
	/** The report's warnings over the whole run. */
	warnings: readonly string[];
}

/** A receipt item's json: the GDPR receipt and the run's warnings. */
export function receiptJson(request: ReceiptRequest): IDataObject {
	const { warnings, ...input } = request;
	return { ...buildReceipt(input), warnings: [...warnings] } as unknown as IDataObject;
}

/**
 * A receipt item: the receipt's json, and its printable page as `receiptHtml`, whose digest is of
 * exactly that json.
 */
export async function receiptItem(
	context: IExecuteFunctions,
	request: ReceiptRequest,
	pairedItem: INodeExecutionData['pairedItem'],
): Promise<INodeExecutionData> {
	const json = receiptJson(request);
	const html = renderReceiptHtml(json as unknown as ReceiptJson);
	return {
		json,
		binary: { receiptHtml: await storeHtml(context, html, receiptFileName(request.requestId)) },
		pairedItem,
	};
}

/** One GDPR receipt per input item (each item is one erasure request). */
export async function receiptOutput(out: OutputContext): Promise<INodeExecutionData[][]> {
	const report = new ReportBuilder();
	const byItem: PairOutcome[][] = Array.from({ length: out.itemCount }, () => []);
	for await (const outcome of out.run) {
		report.add(outcome, out.nameOf(outcome));
		byItem[out.itemOf(outcome)].push(outcome);
	}
	const warnings = hintWarnings(out.context, report);
	const completedAt = new Date();
	const items: INodeExecutionData[] = [];
	for (const [item, outcomes] of byItem.entries())
		items.push(
			await receiptItem(
				out.context,
				{
					requestId: out.requestIdOf(item),
					receivedAt: out.receivedAt,
					completedAt,
					outcomes,
					nameOf: out.nameOf,
					warnings,
				},
				{ item },
			),
		);
	return [items];
}

/** Report lines are written in chunks of about this many characters. */
const CHUNK_CHARS = 64 * 1024;

export interface StoredReport {
	binary: IBinaryData;
	/** Totals and warnings over the outcomes written. */
	report: ReportBuilder;
}

/**
 * Writes the CSV report of `outcomes` into n8n's binary data store as `offboarding-report.csv`,
 * streamed while the outcomes come (a run's, as it goes on): the report is never held in memory
 * whole (n8n's filesystem mode writes it to disk; its database mode still buffers it there).
 * `each` sees every outcome as it is written.
 */
export async function storeReport<T extends ReportedOutcome>(
	context: IExecuteFunctions,
	outcomes: AsyncIterable<T> | Iterable<T>,
	names: { nameOf: NameOf; withSystemName: boolean },
	each: (outcome: T) => void = () => undefined,
): Promise<StoredReport> {
	const report = new ReportBuilder();
	const csv = new PassThrough();
	const stored = context.helpers.prepareBinaryData(csv, REPORT_CSV_FILE, 'text/csv');
	// The store stops reading when it fails: the writer must not wait for room that never comes.
	// (A rejection passes through as it is.)
	const storeEnded = stored.then(() => {
		throw new Error('the report store stopped reading before the report ended');
	});
	storeEnded.catch(() => undefined);
	let chunk = reportHeaderLine(names.withSystemName);
	const flush = async (): Promise<void> => {
		const full = !csv.write(chunk);
		chunk = '';
		if (full) await Promise.race([once(csv, 'drain'), storeEnded]);
	};
	let ended = false;
	try {
		for await (const outcome of outcomes) {
			const name = names.nameOf(outcome);
			report.add(outcome, name);
			chunk += names.withSystemName ? namedReportLine(outcome, name) : reportLine(outcome);
			if (chunk.length >= CHUNK_CHARS) await flush();
			each(outcome);
		}
		await flush();
		csv.end();
		ended = true;
	} finally {
		// A run that stopped (cancelled, or an unexpected error) leaves no half report behind.
		if (!ended) {
			csv.destroy(new Error('the run stopped before its report was complete'));
			await stored.catch(() => undefined);
		}
	}
	return { binary: await stored, report };
}

/**
 * One summary item (totals, warnings, stats) with the CSV report as binary data, streamed into
 * n8n's binary data store while the run goes on, and the HTML report beside it. Under "continue
 * (using error output)" each failed pair also goes to the error output, for an alert branch.
 */
export async function summaryOutput(out: OutputContext): Promise<INodeExecutionData[][]> {
	const failed: INodeExecutionData[] = [];
	const failures = new FailureSample();
	const { binary, report } = await storeReport(
		out.context,
		out.run,
		{ nameOf: out.nameOf, withSystemName: needsSystemName(out.systems) },
		(outcome) => {
			failures.add(outcome, out.nameOf(outcome));
			if (out.routeErrors && outcome.status === 'failed')
				failed.push(
					outcomeItem(out.context, outcome, out.nameOf(outcome), out.itemOf(outcome), true),
				);
		},
	);
	const warnings = hintWarnings(out.context, report, userIdWarnings(out));
	const summary: IDataObject = {
		dryRun: out.dryRun,
		requestsToSend: out.run.toSend,
		limitStore: out.limitStore,
		totals: report.totals() as IDataObject,
		userIds: userIdCounts(out) as unknown as IDataObject,
		warnings,
		stats: out.run.stats() as IDataObject,
	};
	const timeline = out.timeline?.();
	const reportHtml = await storeReportHtml(out.context, {
		generatedAt: new Date(),
		dryRun: out.dryRun,
		limitStore: out.limitStore,
		requestsToSend: out.run.toSend,
		totals: report.totals(),
		warnings,
		stats: out.run.stats(),
		failures,
		...(timeline ? { timeline } : {}),
	});
	return [
		[
			{
				json: summary,
				binary: { report: binary, reportHtml },
				pairedItem: Array.from({ length: out.itemCount }, (_, item) => ({ item })),
			},
			...failed,
		],
	];
}

export const OUTPUTS: Readonly<
	Record<OutputMode, (out: OutputContext) => Promise<INodeExecutionData[][]>>
> = {
	perResult: perResultOutput,
	summary: summaryOutput,
	receipt: receiptOutput,
};
