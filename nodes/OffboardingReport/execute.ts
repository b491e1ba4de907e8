/**
 * Offboarding Report: outcome items from any of this package's nodes → one CSV report (with its
 * HTML report) or one GDPR receipt (with its printable page) over all of them, through the same
 * functions as Offboard Users' own outputs.
 */
import { type IExecuteFunctions, type INodeExecutionData, NodeOperationError } from 'n8n-workflow';
import type { ReportedOutcome } from '../../src/engine/outcome';
import { needsSystemName, registryName, ReportBuilder } from '../../src/engine/report';
import { type NamedOutcome, readOutcomeItem } from '../../src/n8n/outcomeItems';
import { FailureSample } from '../../src/html/report';
import { hintWarnings, receiptItem, storeReport, storeReportHtml } from '../../src/n8n/outputs';
import type { ReportOutput } from './description';

/**
 * Every input item as an outcome. An item that is not one fails the node, naming the item and
 * what it lacks: counted as a "failed" line it would say a removal failed in a system it cannot
 * name, and a report or receipt that quietly drops it would be incomplete without saying so.
 */
function readOutcomes(context: IExecuteFunctions): NamedOutcome[] {
	return context.getInputData().map((item, index) => {
		const reading = readOutcomeItem(item.json);
		if ('problem' in reading)
			throw new NodeOperationError(
				context.getNode(),
				`Input item ${index} (counting from 0) is not an outcome of the offboarding nodes: ${reading.problem}`,
				{
					itemIndex: index,
					description:
						"Connect only the offboarding nodes' outputs with Output set to One Item per Result (through a Merge node in Append mode).",
				},
			);
		return reading;
	});
}

function receivedAtOf(context: IExecuteFunctions): Date {
	const text = String(context.getNodeParameter('receivedAt', 0, '') ?? '').trim();
	if (text === '') return new Date();
	const date = new Date(text);
	if (!/^\d{4}-\d\d-\d\d/.test(text) || Number.isNaN(date.getTime()))
		throw new NodeOperationError(
			context.getNode(),
			`Received At "${text.slice(0, 40)}" is not an ISO 8601 date: give one like 2026-05-04T09:30:00Z, or leave it empty for now`,
		);
	return date;
}

export async function executeReport(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const output = this.getNodeParameter('output', 0) as ReportOutput;
	const read = readOutcomes(this);
	const outcomes = read.map((r) => r.outcome);
	const names = new Map<ReportedOutcome, string>(read.map((r) => [r.outcome, r.systemName]));
	const nameOf = (outcome: ReportedOutcome): string => names.get(outcome) ?? registryName(outcome);
	// The one output item comes from every input item.
	const pairedItem = read.map((_, item) => ({ item }));

	if (output === 'receipt') {
		const requestId = String(this.getNodeParameter('requestId', 0) ?? '');
		const receivedAt = receivedAtOf(this);
		const report = new ReportBuilder();
		for (const outcome of outcomes) report.add(outcome, nameOf(outcome));
		const warnings = hintWarnings(this, report);
		return [
			[
				await receiptItem(
					this,
					{ requestId, receivedAt, completedAt: new Date(), outcomes, nameOf, warnings },
					pairedItem,
				),
			],
		];
	}

	const failures = new FailureSample();
	const { binary, report } = await storeReport(
		this,
		outcomes,
		{
			nameOf,
			withSystemName: needsSystemName(
				read.map((r) => ({ system: r.outcome.system, name: r.systemName })),
			),
		},
		(outcome) => failures.add(outcome, nameOf(outcome)),
	);
	const warnings = hintWarnings(this, report);
	// Outcome items carry no run record: the HTML report shows totals and failures, no timeline.
	const reportHtml = await storeReportHtml(this, {
		generatedAt: new Date(),
		totals: report.totals(),
		warnings,
		failures,
	});
	return [
		[
			{
				json: { totals: report.totals(), warnings, outcomes: outcomes.length },
				binary: { report: binary, reportHtml },
				pairedItem,
			},
		],
	];
}
