/**
 * Offboard Users: its parameters read into the shared run path (`src/n8n/run.ts`). Throws only
 * when the whole run is refused.
 */
import { type IExecuteFunctions, type INodeExecutionData, NodeOperationError } from 'n8n-workflow';
import { quotedColumns } from '../../src/csv';
import type { ScopeSource, ValueSource } from '../../src/engine/plan';
import { columnKey, fieldValue, type GivenIds, type InputRow } from '../../src/engine/rows';
import {
	EMAIL_COLUMN,
	expressionLabel,
	scopeColumnDefault,
	scopeColumnDisplayName,
	userIdColumnDisplayName,
	userIdColumnParameter,
} from '../../src/n8n/columns';
import type { OutputMode } from '../../src/n8n/outputs';
import { runNode } from '../../src/n8n/run';
import type { SystemSettings } from '../../src/n8n/systems';
import { SYSTEMS } from '../../src/systems';
import type { SystemId } from '../../src/systems/types';
import { readSystemSettings } from '../shared/systemNode';
import { scopeParameter, settingParameter } from './description';

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

function settingsFor(
	context: IExecuteFunctions,
	system: SystemId,
	options: Options,
): SystemSettings {
	const request = {
		...((options.unsafePathIdSystems ?? []).includes(system)
			? { request: { allowUnsafePathCharacters: true } }
			: {}),
		options: readSystemSettings(context, system, (key) => settingParameter(system, key)),
	};
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

/** A column setting of the node: its parameter, its name in messages and its default. */
interface ColumnSetting {
	parameter: string;
	displayName: string;
	default: string;
}

/** A column setting as read: a column / field name, or (items input) a value per item. */
type ColumnValue = { field: string } | { values: unknown[] };

/**
 * Reads a column setting. With incoming items, an expression gives the value itself, per item (as
 * in every n8n node); otherwise the setting is a name (with a CSV, an expression is evaluated once
 * and must give the column's name). A run whose setting cannot be right is refused before any
 * call: an empty name; a name set by hand that no item has; an expression that gives one of the
 * item's field names (it was meant as the name: `{{ "Slack ID" }}` would remove a user "Slack ID").
 */
function readColumn(
	context: IExecuteFunctions,
	setting: ColumnSetting,
	items: readonly INodeExecutionData[] | undefined,
): ColumnValue {
	const fail = (message: string): never => {
		throw new NodeOperationError(context.getNode(), message);
	};
	const raw = context.getNodeParameter(setting.parameter, 0, setting.default, {
		rawExpressions: true,
	});
	if (items && typeof raw === 'string' && raw.startsWith('=')) {
		const values = items.map((_, index) => context.getNodeParameter(setting.parameter, index));
		values.forEach((value, index) => {
			if (typeof value !== 'string' || value.trim() === '') return;
			const field = Object.keys(items[index].json).find((k) => columnKey(k) === columnKey(value));
			if (field !== undefined)
				fail(
					`The ${setting.displayName} expression gave "${value.slice(0, 60)}" for item ${index + 1}, which is the name of one of its fields: write the field name without {{ }} to read that field, or make the expression give the value (e.g. {{ $json["${field}"] }}). Nothing was removed.`,
				);
		});
		return { values };
	}
	const name = String(context.getNodeParameter(setting.parameter, 0, setting.default) ?? '').trim();
	if (name === '') fail(`Enter the ${setting.displayName}: the column or item field that holds it`);
	// A name changed by hand that no incoming item has is a typo, not a run of missing ids.
	if (
		items &&
		items.length > 0 &&
		name !== setting.default &&
		!items.some((item) => fieldValue(item.json, name) !== undefined)
	)
		fail(
			`No incoming item has a field "${name}" (${setting.displayName}); the first item's fields are: ${quotedColumns(Object.keys(items[0].json))}. Map it to one of them, or use an expression. Nothing was removed.`,
		);
	return { field: name };
}

/** Where the plan reads a column setting's values: the name, or what the node gives per row. */
function valueSource(column: ColumnValue, setting: ColumnSetting): ValueSource {
	return 'field' in column ? column : { given: expressionLabel(setting.displayName) };
}

/** A system finds people by their email with these settings (SCIM's Find By: userName / email). */
function findsByEmail(system: SystemId, options: Readonly<Record<string, unknown>>): boolean {
	return (SYSTEMS[system].settings ?? []).some((setting) =>
		setting.choices?.some((c) => c.findsByEmail && c.value === options[setting.key]),
	);
}

function scopeSource(
	context: IExecuteFunctions,
	system: SystemId,
	key: string,
	separator: string,
	items: readonly INodeExecutionData[] | undefined,
): { source: ScopeSource; values?: unknown[] } {
	const source = context.getNodeParameter(scopeParameter(system, key, 'Source'), 0) as
		| 'fixed'
		| 'field';
	if (source === 'field') {
		const setting = {
			parameter: scopeParameter(system, key, 'Field'),
			displayName: scopeColumnDisplayName(system, key),
			default: scopeColumnDefault(system, key),
		};
		const column = readColumn(context, setting, items);
		return 'field' in column
			? { source: column }
			: {
					source: { given: true, list: true, label: expressionLabel(setting.displayName) },
					values: column.values,
				};
	}
	const values = String(context.getNodeParameter(scopeParameter(system, key, 'Values'), 0) ?? '')
		.split(separator)
		.map((v) => v.trim())
		.filter((v) => v !== '');
	return { source: { fixed: values } };
}

export async function executeOffboarding(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const systems = this.getNodeParameter('systems', 0) as SystemId[];
	const inputSource = this.getNodeParameter('inputSource', 0) as 'items' | 'csv';
	const outputMode = this.getNodeParameter('outputMode', 0) as OutputMode;
	const options = this.getNodeParameter('options', 0, {}) as Options;
	const separator = options.listSeparator || ',';
	if (outputMode === 'receipt' && inputSource !== 'items')
		throw new NodeOperationError(
			this.getNode(),
			'A GDPR receipt answers one request per incoming item: set Input to Incoming Items',
		);
	// Incoming items: column settings may be expressions, evaluated per item.
	const items = inputSource === 'items' ? this.getInputData() : undefined;
	const emailSetting = {
		parameter: EMAIL_COLUMN.name,
		displayName: EMAIL_COLUMN.displayName,
		default: EMAIL_COLUMN.default,
	};
	const emailColumn = readColumn(this, emailSetting, items);
	// Per system: its run settings, and the values its expressions gave per item.
	const given: Array<{ system: SystemId; ids: (index: number) => GivenIds }> = [];
	const runSystems = systems.map((system) => {
		const settings = settingsFor(this, system, options);
		const scopes: Record<string, ScopeSource> = {};
		const scopeValues: Array<[string, unknown[]]> = [];
		for (const field of SYSTEMS[system].scopeFields) {
			const read = scopeSource(this, system, field.key, separator, items);
			scopes[field.key] = read.source;
			if (read.values) scopeValues.push([field.key, read.values]);
		}
		const idSetting = {
			parameter: userIdColumnParameter(system),
			displayName: userIdColumnDisplayName(system),
			default: SYSTEMS[system].userIdField,
		};
		// A system that finds people by email reads the Email Column; its own is not shown.
		const idColumn = findsByEmail(system, settings.options ?? {})
			? undefined
			: readColumn(this, idSetting, items);
		const idValues = idColumn && 'values' in idColumn ? idColumn.values : undefined;
		if (idValues || scopeValues.length > 0)
			given.push({
				system,
				ids: (index) => ({
					...(idValues ? { userId: idValues[index] } : {}),
					scopes: Object.fromEntries(scopeValues.map(([key, values]) => [key, values[index]])),
				}),
			});
		return {
			system,
			settings,
			scopes,
			...(idColumn ? { userId: valueSource(idColumn, idSetting) } : {}),
		};
	});
	return await runNode(this, {
		systems: runSystems,
		input: items
			? {
					rows: items.map(
						(item, index): InputRow => ({
							kind: 'person',
							row: index + 1,
							fields: item.json,
							...('values' in emailColumn ? { givenEmail: emailColumn.values[index] } : {}),
							...(given.length > 0
								? {
										given: Object.fromEntries(given.map(({ system, ids }) => [system, ids(index)])),
									}
								: {}),
						}),
					),
				}
			: { csvBinaryProperty: this.getNodeParameter('binaryPropertyName', 0) as string },
		email: valueSource(emailColumn, emailSetting),
		output: outputMode,
		limitStore: this.getNodeParameter('limitStore', 0, 'auto') as 'auto' | 'redisCredential',
		dryRun: options.dryRun === true,
		deletionThreshold: options.deletionThreshold ?? undefined,
		protectedUsers: (options.protectedUsers ?? '')
			.split(/[\n,;]/)
			.map((u) => u.trim())
			.filter((u) => u !== ''),
		listSeparator: separator,
		requestIdOf: (item) => String(this.getNodeParameter('requestId', item) ?? ''),
	});
}
