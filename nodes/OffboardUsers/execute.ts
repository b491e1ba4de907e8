/** Offboard Users: parameters → engine → items. Throws only when the whole run is refused. */
import { Readable } from 'node:stream';
import {
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
	NodeOperationError,
} from 'n8n-workflow';
import { csvInputRows, CsvFileError } from '../../src/csv';
import { processLimiters } from '../../src/engine/limiter';
import { type CredentialPlacement, offboard, RunRefusedError } from '../../src/engine/offboard';
import type { PairOutcome } from '../../src/engine/outcome';
import type { ScopeSource, SystemPlan } from '../../src/engine/plan';
import { ReportBuilder, reportHeaderLine, reportLine } from '../../src/engine/report';
import type { InputRow } from '../../src/engine/rows';
import { outcomeItem } from '../../src/n8n/items';
import { buildReceipt } from '../../src/receipt';
import { n8nClock, resolveSystem, type SystemSettings } from '../../src/n8n/systems';
import { SYSTEMS } from '../../src/systems';
import type { SystemId } from '../../src/systems/types';
import { scopeParameter } from './description';

interface LimitEntry {
	system: SystemId;
	/** 0 (or absent): discovered. */
	maxConcurrency?: number;
	/** Where discovery starts. */
	ratePerSecond: number;
	/** 0 (or absent): no maximum, discovered. */
	maxRatePerSecond?: number;
	maxAttempts: number;
	maxRetryAfterSeconds: number;
	requestTimeoutSeconds: number;
}

interface Options {
	dryRun?: boolean;
	deletionThreshold?: number;
	protectedUsers?: string;
	listSeparator?: string;
	unsafePathIdSystems?: SystemId[];
	systemLimits?: { limit?: LimitEntry[] };
}

function settingsFor(system: SystemId, options: Options): SystemSettings {
	const request = (options.unsafePathIdSystems ?? []).includes(system)
		? { request: { allowUnsafePathCharacters: true } }
		: {};
	const entry = options.systemLimits?.limit?.find((l) => l.system === system);
	if (!entry) return request;
	const maxRate = entry.maxRatePerSecond ? entry.maxRatePerSecond : undefined;
	return {
		limits: {
			ratePerSecond: Math.min(entry.ratePerSecond, maxRate ?? Infinity),
			...(maxRate !== undefined ? { maxRatePerSecond: maxRate } : {}),
			...(entry.maxConcurrency ? { maxConcurrency: entry.maxConcurrency } : {}),
			maxRetryAfterMs: entry.maxRetryAfterSeconds * 1000,
		},
		retry: { maxAttempts: entry.maxAttempts, requestTimeoutMs: entry.requestTimeoutSeconds * 1000 },
		...request,
	};
}

function scopeSource(
	context: IExecuteFunctions,
	system: SystemId,
	key: string,
	separator: string,
): ScopeSource {
	const source = context.getNodeParameter(scopeParameter(system, key, 'Source'), 0) as
		| 'fixed'
		| 'field';
	if (source === 'field')
		return { field: context.getNodeParameter(scopeParameter(system, key, 'Field'), 0) as string };
	const values = String(context.getNodeParameter(scopeParameter(system, key, 'Values'), 0) ?? '')
		.split(separator)
		.map((v) => v.trim())
		.filter((v) => v !== '');
	return { fixed: values };
}

export async function executeOffboarding(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const systems = this.getNodeParameter('systems', 0) as SystemId[];
	const inputSource = this.getNodeParameter('inputSource', 0) as 'items' | 'csv';
	const outputMode = this.getNodeParameter('outputMode', 0) as 'perResult' | 'summary' | 'receipt';
	const receivedAt = new Date();
	const options = this.getNodeParameter('options', 0, {}) as Options;
	const separator = options.listSeparator || ',';
	if (systems.length === 0)
		throw new NodeOperationError(this.getNode(), 'Choose at least one system');
	if (outputMode === 'receipt' && inputSource !== 'items')
		throw new NodeOperationError(
			this.getNode(),
			'A GDPR receipt answers one request per incoming item: set Input to Incoming Items',
		);

	const runtimes: Partial<Record<SystemId, Awaited<ReturnType<typeof resolveSystem>>['runtime']>> =
		{};
	const placement: Partial<Record<SystemId, CredentialPlacement>> = {};
	const plans: SystemPlan[] = [];
	const expiries: Array<{ system: SystemId; at: number }> = [];
	for (const system of systems) {
		const resolved = await resolveSystem(this, system, settingsFor(system, options));
		runtimes[system] = resolved.runtime;
		placement[system] = resolved.placement;
		if (resolved.expiresAt !== undefined) expiries.push({ system, at: resolved.expiresAt });
		const scopes: Record<string, ScopeSource> = {};
		for (const field of SYSTEMS[system].scopeFields) {
			scopes[field.key] = scopeSource(this, system, field.key, separator);
			const source = scopes[field.key];
			if ('fixed' in source && source.fixed.length === 0) {
				throw new NodeOperationError(
					this.getNode(),
					`Enter the ${SYSTEMS[system].displayName} ${field.label}`,
				);
			}
		}
		plans.push({
			system: SYSTEMS[system],
			baseUrl: resolved.baseUrl,
			scopes,
			ownAccountIds: resolved.ownAccountIds,
			...(resolved.runtime.request ? { request: resolved.runtime.request } : {}),
		});
	}

	let rows: () => AsyncIterable<InputRow> | Iterable<InputRow>;
	if (inputSource === 'csv') {
		const property = this.getNodeParameter('binaryPropertyName', 0) as string;
		const binary = this.helpers.assertBinaryData(0, property);
		const columns = [
			'email',
			...plans.flatMap((p) => [
				p.system.userIdField,
				...Object.values(p.scopes).flatMap((s) => ('field' in s ? [s.field] : [])),
			]),
		];
		rows = () =>
			csvInputRows(
				(async function* (context: IExecuteFunctions) {
					const stream: Readable = binary.id
						? await context.helpers.getBinaryStream(binary.id)
						: Readable.from([Buffer.from(binary.data, 'base64')]);
					yield* stream;
				})(this),
				columns,
			);
	} else {
		rows = () =>
			items.map((item, index): InputRow => ({ kind: 'person', row: index + 1, fields: item.json }));
	}

	const protectedUsers = (options.protectedUsers ?? '')
		.split(/[\n,;]/)
		.map((u) => u.trim())
		.filter((u) => u !== '');
	let run;
	try {
		run = await offboard(rows, {
			plan: { systems: plans, protectedUsers, listSeparator: separator },
			systems: runtimes,
			limiters: processLimiters,
			clock: n8nClock,
			signal: this.getExecutionCancelSignal(),
			dryRun: options.dryRun === true,
			deletionThreshold: options.deletionThreshold ?? undefined,
			credentialPlacement: placement,
		});
	} catch (error) {
		// Run-level refusals (threshold, unreadable CSV) and anything unexpected: the node fails, which
		// also fires Error Trigger workflows. Per-row failures never get here.
		const message =
			error instanceof RunRefusedError || error instanceof CsvFileError
				? error.message
				: (error as Error).message;
		throw new NodeOperationError(this.getNode(), message);
	}

	// A pasted JWT that expires before the run can finish at the configured rate refuses the run.
	for (const { system, at } of expiries) {
		const rate = runtimes[system]?.limits.ratePerSecond ?? 1;
		const needed = Date.now() + (run.toSend / Math.max(rate, 0.1)) * 1000;
		if (at <= needed && !options.dryRun) {
			throw new NodeOperationError(
				this.getNode(),
				at <= Date.now()
					? `The pasted Mudbase JWT expired at ${new Date(at).toISOString()}: nothing was sent. Paste a fresh token or use log-in mode.`
					: `The pasted Mudbase JWT expires at ${new Date(at).toISOString()}, before this run can finish (about ${Math.ceil((needed - Date.now()) / 1000)} s at the configured rate): nothing was sent. Use log-in mode.`,
			);
		}
	}

	const itemIndexOf = (outcome: PairOutcome): number =>
		inputSource === 'items' ? outcome.row - 1 : 0;
	const routeErrors = this.getNode().onError === 'continueErrorOutput';
	const report = new ReportBuilder();
	const out: INodeExecutionData[] = [];
	const csv: string[] = [reportHeaderLine()];
	const byRow: PairOutcome[][] = outputMode === 'receipt' ? items.map(() => []) : [];
	for await (const outcome of run) {
		report.add(outcome);
		if (outputMode === 'perResult')
			out.push(outcomeItem(this, outcome, itemIndexOf(outcome), routeErrors));
		else if (outputMode === 'receipt') byRow[outcome.row - 1].push(outcome);
		else {
			csv.push(reportLine(outcome));
			// The summary stays one item; under "continue (using error output)" each failed pair also
			// goes to the error output, for an alert branch.
			if (routeErrors && outcome.status === 'failed')
				out.push(outcomeItem(this, outcome, itemIndexOf(outcome), true));
		}
	}
	const warnings = report.warnings();
	if (warnings.length > 0)
		this.addExecutionHints(...warnings.map((message) => ({ message, type: 'warning' as const })));
	if (outputMode === 'perResult') return [out];
	if (outputMode === 'receipt') {
		const completedAt = new Date();
		return [
			byRow.map((outcomes, item) => ({
				json: {
					...buildReceipt({
						requestId: String(this.getNodeParameter('requestId', item) ?? ''),
						receivedAt,
						completedAt,
						outcomes,
					}),
					warnings,
				} as unknown as IDataObject,
				pairedItem: { item },
			})),
		];
	}

	const binary = await this.helpers.prepareBinaryData(
		Buffer.from(csv.join(''), 'utf8'),
		'offboarding-report.csv',
		'text/csv',
	);
	const summary: IDataObject = {
		dryRun: options.dryRun === true,
		requestsToSend: run.toSend,
		totals: report.totals() as IDataObject,
		warnings,
		stats: run.stats() as IDataObject,
	};
	return [
		[
			{ json: summary, binary: { report: binary }, pairedItem: items.map((_, item) => ({ item })) },
			...out,
		],
	];
}
