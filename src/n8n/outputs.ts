/**
 * The three ways a run's outcomes become a node's output, one small function each: one item per
 * outcome, one summary item with the CSV report as binary data, or one GDPR receipt per input item.
 */
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import type { Offboarding } from '../engine/offboard';
import type { PairOutcome } from '../engine/outcome';
import { ReportBuilder, reportHeaderLine, reportLine } from '../engine/report';
import { buildReceipt } from '../receipt';
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
	/** The node's On Error is "continue (using error output)": failed pairs go there. */
	routeErrors: boolean;
	dryRun: boolean;
	receivedAt: Date;
	/** The receipt's request id for an input item. */
	requestIdOf: (item: number) => string;
	/** Where this run's limits were kept: the summary says so. */
	limitStore: LimitStoreKind;
}

/** What every mode ends with: the report's warnings as execution hints (and returned). */
function hintWarnings(out: OutputContext, report: ReportBuilder): string[] {
	const warnings = report.warnings();
	if (warnings.length > 0)
		out.context.addExecutionHints(
			...warnings.map((message) => ({ message, type: 'warning' as const })),
		);
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
		report.add(outcome);
		outcomes.push(outcome);
	}
	hintWarnings(out, report);
	outcomes.sort(inputOrder);
	return [
		outcomes.map((outcome) =>
			outcomeItem(out.context, outcome, out.itemOf(outcome), out.routeErrors),
		),
	];
}

/** One GDPR receipt per input item (each item is one erasure request). */
export async function receiptOutput(out: OutputContext): Promise<INodeExecutionData[][]> {
	const report = new ReportBuilder();
	const byItem: PairOutcome[][] = Array.from({ length: out.itemCount }, () => []);
	for await (const outcome of out.run) {
		report.add(outcome);
		byItem[out.itemOf(outcome)].push(outcome);
	}
	const warnings = hintWarnings(out, report);
	const completedAt = new Date();
	return [
		byItem.map((outcomes, item) => ({
			json: {
				...buildReceipt({
					requestId: out.requestIdOf(item),
					receivedAt: out.receivedAt,
					completedAt,
					outcomes,
				}),
				warnings,
			} as unknown as IDataObject,
			pairedItem: { item },
		})),
	];
}

/** Report lines are written in chunks of about this many characters. */
const CHUNK_CHARS = 64 * 1024;

/**
 * One summary item (totals, warnings, stats) with the CSV report as binary data, streamed into
 * n8n's binary data store while the run goes on: the report is never held in memory whole (n8n's
 * filesystem mode writes it to disk; its database mode still buffers it there). Under "continue
 * (using error output)" each failed pair also goes to the error output, for an alert branch.
 */
export async function summaryOutput(out: OutputContext): Promise<INodeExecutionData[][]> {
	const report = new ReportBuilder();
	const failed: INodeExecutionData[] = [];
	const csv = new PassThrough();
	const stored = out.context.helpers.prepareBinaryData(csv, 'offboarding-report.csv', 'text/csv');
	// The store stops reading when it fails: the writer must not wait for room that never comes.
	// (A rejection passes through as it is.)
	const storeEnded = stored.then(() => {
		throw new Error('the report store stopped reading before the report ended');
	});
	storeEnded.catch(() => undefined);
	let chunk = reportHeaderLine();
	const flush = async (): Promise<void> => {
		const full = !csv.write(chunk);
		chunk = '';
		if (full) await Promise.race([once(csv, 'drain'), storeEnded]);
	};
	let ended = false;
	try {
		for await (const outcome of out.run) {
			report.add(outcome);
			chunk += reportLine(outcome);
			if (chunk.length >= CHUNK_CHARS) await flush();
			if (out.routeErrors && outcome.status === 'failed')
				failed.push(outcomeItem(out.context, outcome, out.itemOf(outcome), true));
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
	const binary = await stored;
	const warnings = hintWarnings(out, report);
	const summary: IDataObject = {
		dryRun: out.dryRun,
		requestsToSend: out.run.toSend,
		limitStore: out.limitStore,
		totals: report.totals() as IDataObject,
		warnings,
		stats: out.run.stats() as IDataObject,
	};
	return [
		[
			{
				json: summary,
				binary: { report: binary },
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
