/**
 * Offboard Users: its parameters read into the shared run path (`src/n8n/run.ts`). Throws only
 * when the whole run is refused.
 */
import { type IExecuteFunctions, type INodeExecutionData, NodeOperationError } from 'n8n-workflow';
import type { ScopeSource } from '../../src/engine/plan';
import type { InputRow } from '../../src/engine/rows';
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
	return await runNode(this, {
		systems: systems.map((system) => ({
			system,
			settings: settingsFor(this, system, options),
			scopes: Object.fromEntries(
				SYSTEMS[system].scopeFields.map((field) => [
					field.key,
					scopeSource(this, system, field.key, separator),
				]),
			),
		})),
		input:
			inputSource === 'csv'
				? { csvBinaryProperty: this.getNodeParameter('binaryPropertyName', 0) as string }
				: {
						rows: this.getInputData().map(
							(item, index): InputRow => ({ kind: 'person', row: index + 1, fields: item.json }),
						),
					},
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
