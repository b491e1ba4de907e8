/**
 * What the five per-system nodes share: resource User, operation Remove, one removal per item
 * through the same run path (src/n8n/run.ts) and limit store as Offboard Users; usable as an AI
 * tool with a removal budget per credential.
 */
import {
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeProperties,
	NodeOperationError,
} from 'n8n-workflow';
import { LIMIT_STORE_PARAMETER } from './limitStore';
import { RunRefusedError } from '../../src/engine/offboard';
import type { InputRow } from '../../src/engine/rows';
import { runNode } from '../../src/n8n/run';
import { takeToolBudget } from '../../src/n8n/toolBudget';
import { SYSTEMS } from '../../src/systems';
import type { SystemId } from '../../src/systems/types';

export const DEFAULT_TOOL_BUDGET_PER_HOUR = 20;

export function toolDescription(system: SystemId): string {
	const s = SYSTEMS[system];
	const scope = s.scopeFields.map((f) => f.label).join(' and ');
	return `Removes one user from ${s.displayName}${scope ? ` (one ${scope}: a single ID, never a list)` : ''}. The removal is irreversible and takes away the user's access at once. Use only when asked to remove this exact user; at most ${DEFAULT_TOOL_BUDGET_PER_HOUR} removals an hour per credential (configurable), counted per removal, then calls are refused whole.`;
}

export function systemNodeProperties(system: SystemId): INodeProperties[] {
	const s = SYSTEMS[system];
	return [
		{
			displayName: 'Resource',
			name: 'resource',
			type: 'options',
			noDataExpression: true,
			options: [{ name: 'User', value: 'user' }],
			default: 'user',
		},
		{
			displayName: 'Operation',
			name: 'operation',
			type: 'options',
			noDataExpression: true,
			displayOptions: { show: { resource: ['user'] } },
			options: [
				{
					name: 'Remove',
					value: 'remove',
					action: `Remove a user from ${s.displayName}`,
					description: 'Irreversible: the user loses access at once',
				},
			],
			default: 'remove',
		},
		LIMIT_STORE_PARAMETER,
		...s.scopeFields.map(
			(field): INodeProperties => ({
				displayName: field.label.replace(/^./, (c) => c.toUpperCase()).replace(/\bid\b/i, 'ID'),
				name: field.key,
				type: 'string',
				default: '',
				required: true,
				displayOptions: { show: { resource: ['user'], operation: ['remove'] } },
			}),
		),
		...systemSettingProperties(system, (key) => key, { resource: ['user'], operation: ['remove'] }),
		{
			displayName:
				s.userIdPrompt ??
				s.userIdLabel.replace(/^./, (c) => c.toUpperCase()).replace(/\bid\b/i, 'ID'),
			name: 'userId',
			type: 'string',
			default: '',
			required: true,
			displayOptions: { show: { resource: ['user'], operation: ['remove'] } },
		},
		{
			displayName: 'Options',
			name: 'options',
			type: 'collection',
			placeholder: 'Add option',
			default: {},
			displayOptions: { show: { resource: ['user'], operation: ['remove'] } },
			options: [
				{
					displayName: 'Allow / \\ ? # % in IDs',
					name: 'allowUnsafePathCharacters',
					type: 'boolean',
					default: false,
					description:
						'Whether to send IDs that contain / \\ ? # or % in the URL path (percent-encoded). Off: they are refused, since a proxy that decodes them before routing would see another path.',
				},
				{
					displayName: 'Dry Run',
					name: 'dryRun',
					type: 'boolean',
					default: false,
					description: 'Whether to send nothing and report the request that would be sent',
				},
				{
					displayName: 'Tool Budget (Removals per Hour)',
					name: 'toolBudgetPerHour',
					type: 'number',
					typeOptions: { minValue: 0 },
					default: DEFAULT_TOOL_BUDGET_PER_HOUR,
					description:
						'When an AI agent uses this node as a tool: removals allowed per hour with this credential, across all executions',
				},
			],
		},
	];
}

/** A system's own settings (`SystemDefinition.settings`) as node parameters, named by `nameOf`. */
export function systemSettingProperties(
	system: SystemId,
	nameOf: (key: string) => string,
	show: Record<string, string[]>,
): INodeProperties[] {
	return (SYSTEMS[system].settings ?? []).map(
		(setting): INodeProperties => ({
			displayName: setting.label,
			name: nameOf(setting.key),
			type: setting.choices ? 'options' : 'string',
			...(setting.choices
				? {
						options: setting.choices.map(({ name, value, description }) => ({
							name,
							value,
							description,
						})),
					}
				: {}),
			default: setting.default,
			description: setting.description,
			displayOptions: { show },
		}),
	);
}

/** The values of a system's own settings, read from the node (`systemSettingProperties`). */
export function readSystemSettings(
	context: IExecuteFunctions,
	system: SystemId,
	nameOf: (key: string) => string,
): Record<string, unknown> {
	return Object.fromEntries(
		(SYSTEMS[system].settings ?? []).map((setting) => [
			setting.key,
			context.getNodeParameter(nameOf(setting.key), 0, setting.default),
		]),
	);
}

export async function executeSystemNode(
	this: IExecuteFunctions,
	system: SystemId,
): Promise<INodeExecutionData[][]> {
	const registered = SYSTEMS[system];
	const settings = readSystemSettings(this, system, (key) => key);
	// Scope fields the settings define (a Custom HTTP path's {teamId}) have no parameter of their
	// own: each item's field of that name holds the value.
	let definition = registered;
	try {
		definition = registered.configure?.({}, settings) ?? registered;
	} catch (error) {
		throw new NodeOperationError(this.getNode(), (error as Error).message);
	}
	const ownParameter = new Set(registered.scopeFields.map((f) => f.key));
	const scopeValue = (key: string, index: number): unknown =>
		ownParameter.has(key)
			? this.getNodeParameter(key, index)
			: this.getInputData()[index]?.json[key];
	const options = this.getNodeParameter('options', 0, {}) as {
		dryRun?: boolean;
		toolBudgetPerHour?: number;
		allowUnsafePathCharacters?: boolean;
	};
	const asTool = this.isToolExecution() || this.getNode().type.endsWith('Tool');
	return await runNode(this, {
		systems: [
			{
				system,
				settings: {
					...(options.allowUnsafePathCharacters
						? { request: { allowUnsafePathCharacters: true } }
						: {}),
					options: settings,
				},
				// One id per parameter, never a list: an AI tool's budget counts pairs.
				scopes: Object.fromEntries(definition.scopeFields.map((f) => [f.key, { given: true }])),
				userId: { given: 'value for the User parameter' },
			},
		],
		input: {
			rows: this.getInputData().map(
				(_, index): InputRow => ({
					kind: 'person',
					row: index + 1,
					fields: {},
					given: {
						[system]: {
							userId: this.getNodeParameter('userId', index),
							scopes: Object.fromEntries(
								definition.scopeFields.map((f) => [f.key, scopeValue(f.key, index)]),
							),
						},
					},
				}),
			),
		},
		output: 'perResult',
		limitStore: this.getNodeParameter('limitStore', 0, 'auto') as 'auto' | 'redisCredential',
		dryRun: options.dryRun === true,
		// An AI tool's budget is charged per (user, scope) pair that would send a request, after
		// planning and before any is sent: a call that would exceed it is refused whole.
		beforeSending: asTool
			? async (toSend, keys, store) => {
					const budget = await takeToolBudget(
						store,
						keys[system] ?? system,
						toSend,
						options.toolBudgetPerHour ?? DEFAULT_TOOL_BUDGET_PER_HOUR,
					);
					if (!budget.ok) throw new RunRefusedError(budget.reason);
				}
			: undefined,
	});
}
