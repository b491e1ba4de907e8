/**
 * The three ways a run's outcomes become a node's output, one small function each: one item per
 * outcome, one summary item with the CSV report as binary data, or one GDPR receipt per input item.
 * The CSV report and the receipt are made here only (`storeReport`, `receiptJson`): the
 * Offboarding Report node makes them from outcome items through the same two functions.
 */
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import type { IBinaryData, IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import type { Offboarding } from '../engine/offboard';
import type { PairOutcome, ReportedOutcome } from '../engine/outcome';
import {
	type NameOf,
	type NamedSystem,
	namedReportLine,
	needsSystemName,
	ReportBuilder,
	reportHeaderLine,
	reportLine,
} from '../engine/report';
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
}

/** What every mode ends with: the report's warnings as execution hints (and returned). */
export function hintWarnings(context: IExecuteFunctions, report: ReportBuilder): string[] {
	const warnings = report.warnings();
	if (warnings.length > 0)
		context.addExecutionHints(
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
		report.add(outcome, out.nameOf(outcome));
		outcomes.push(outcome);
	}
	hintWarnings(out.context, report);
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
	return [
		byItem.map((outcomes, item) => ({
			json: receiptJson({
				requestId: out.requestIdOf(item),
				receivedAt: out.receivedAt,
				completedAt,
				outcomes,
				nameOf: out.nameOf,
				warnings,
			}),
			pairedItem: { item },
		})),
	];
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
	const stored = context.helpers.prepareBinaryData(csv, 'offboarding-report.csv', 'text/csv');
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
 * n8n's binary data store while the run goes on. Under "continue (using error output)" each failed
 * pair also goes to the error output, for an alert branch.
 */
export async function summaryOutput(out: OutputContext): Promise<INodeExecutionData[][]> {
	const failed: INodeExecutionData[] = [];
	const { binary, report } = await storeReport(
		out.context,
		out.run,
		{ nameOf: out.nameOf, withSystemName: needsSystemName(out.systems) },
		(outcome) => {
			if (out.routeErrors && outcome.status === 'failed')
				failed.push(
					outcomeItem(out.context, outcome, out.nameOf(outcome), out.itemOf(outcome), true),
				);
		},
	);
	const warnings = hintWarnings(out.context, report);
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
