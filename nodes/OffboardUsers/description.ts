/** The Offboard Users node's parameters, kept apart from its behaviour. */
import { LIMIT_STORE_PARAMETER } from '../shared/limitStore';
import type { INodeProperties } from 'n8n-workflow';
import { DEFAULT_LIMITS } from '../../src/engine/limiter';
import { DEFAULT_DELETION_THRESHOLD } from '../../src/engine/offboard';
import { DEFAULT_RETRY } from '../../src/engine/retry';
import { SYSTEM_IDS, SYSTEMS } from '../../src/systems';
import type { SystemId } from '../../src/systems/types';
import {
	EMAIL_COLUMN,
	scopeColumnDefault,
	scopeColumnDisplayName,
	scopeDisplayName,
	userIdColumnDisplayName,
	userIdColumnParameter,
} from '../../src/n8n/columns';
import { systemSettingProperties } from '../shared/systemNode';

const systemOptions = SYSTEM_IDS.map((id) => ({ name: SYSTEMS[id].displayName, value: id }));

/** Parameter name for a system's own setting, e.g. `scimFindBy`. */
export function settingParameter(system: SystemId, key: string): string {
	return `${system}${key[0].toUpperCase()}${key.slice(1)}`;
}

/** Parameter names for a system's scope field, e.g. `flashbackWorkspaceIdSource`. */
export function scopeParameter(
	system: SystemId,
	key: string,
	part: 'Source' | 'Values' | 'Field',
): string {
	return `${system}${key[0].toUpperCase()}${key.slice(1)}${part}`;
}

function scopeProperties(): INodeProperties[] {
	const out: INodeProperties[] = [];
	for (const id of SYSTEM_IDS) {
		const system = SYSTEMS[id];
		for (const field of system.scopeFields) {
			const label = scopeDisplayName(id, field.key);
			const show = { systems: [id] };
			out.push(
				{
					displayName: `${label} From`,
					name: scopeParameter(id, field.key, 'Source'),
					type: 'options',
					options: [
						{ name: 'Fixed Value(s)', value: 'fixed' },
						{ name: 'A Field of Each Row', value: 'field' },
					],
					default: 'fixed',
					displayOptions: { show },
				},
				{
					displayName: `${label}(s)`,
					name: scopeParameter(id, field.key, 'Values'),
					type: 'string',
					default: '',
					required: true,
					description:
						'One ID, or several separated by commas: each user is removed from every one',
					displayOptions: {
						show: { ...show, [scopeParameter(id, field.key, 'Source')]: ['fixed'] },
					},
				},
				{
					displayName: scopeColumnDisplayName(id, field.key),
					name: scopeParameter(id, field.key, 'Field'),
					type: 'string',
					default: scopeColumnDefault(id, field.key),
					requiresDataPath: 'single',
					description: columnHelp(
						'the ID, or a list of IDs (comma-separated text or an array)',
						label,
					),
					displayOptions: {
						show: { ...show, [scopeParameter(id, field.key, 'Source')]: ['field'] },
					},
				},
			);
		}
	}
	for (const id of SYSTEM_IDS)
		out.push(...systemSettingProperties(id, (key) => settingParameter(id, key), { systems: [id] }));
	return out;
}

/** A column setting's help: how its name is matched, and the expression that gives the value itself. */
function columnHelp(what: string, example: string): string {
	return `Column (CSV) or field of each item holding ${what}; case and spaces in the name are ignored ("Work Email" finds "work email"). With incoming items, an expression gives the value itself, per item: {{ $json["${example}"] }}`;
}

/** Which column or item field holds each person's email and each system's user ID. */
function columnProperties(): INodeProperties[] {
	const out: INodeProperties[] = [
		// eslint-disable-next-line n8n-nodes-base/node-param-default-missing -- the default is in src/n8n/columns.ts, shared with the run's messages; the rule recognises only literals
		{
			displayName: EMAIL_COLUMN.displayName,
			name: EMAIL_COLUMN.name,
			type: 'string',
			default: EMAIL_COLUMN.default,
			requiresDataPath: 'single',
			description: columnHelp("the person's email", 'Work Email'),
		},
	];
	for (const id of SYSTEM_IDS) {
		const system = SYSTEMS[id];
		// A setting that can make the system find people by email (SCIM's Find By): its id column
		// is shown only for the other choices; with those, the Email Column is read.
		const byEmail = (system.settings ?? []).find((s) => s.choices?.some((c) => c.findsByEmail));
		const show: Record<string, string[]> = { systems: [id] };
		if (byEmail)
			show[settingParameter(id, byEmail.key)] = (byEmail.choices ?? [])
				.filter((c) => !c.findsByEmail)
				.map((c) => c.value);
		// eslint-disable-next-line n8n-nodes-base/node-param-default-missing -- the default is the system's own field (its definition); the rule recognises only literals
		out.push({
			displayName: userIdColumnDisplayName(id),
			name: userIdColumnParameter(id),
			type: 'string',
			default: system.userIdField,
			requiresDataPath: 'single',
			description: columnHelp(`the ${system.displayName} user ID`, `${system.displayName} ID`),
			displayOptions: { show },
		});
	}
	return out;
}

export const properties: INodeProperties[] = [
	{
		displayName: 'Removal is irreversible. Try a dry run first (Options → Dry Run).',
		name: 'notice',
		type: 'notice',
		default: '',
	},
	{
		displayName: 'Systems',
		name: 'systems',
		type: 'multiOptions',
		options: systemOptions,
		default: [],
		required: true,
		description: 'Where to remove each person from; each needs its credential',
	},
	{
		displayName: 'Input',
		name: 'inputSource',
		type: 'options',
		options: [
			{ name: 'Incoming Items (One per Person)', value: 'items' },
			{ name: 'CSV File (Binary Property)', value: 'csv' },
		],
		default: 'items',
		description:
			"Each person: an email and each selected system's user ID, in the columns (or item fields) named below; SCIM can find people by the email instead",
	},
	{
		displayName: 'Input Binary Field',
		name: 'binaryPropertyName',
		type: 'string',
		default: 'data',
		required: true,
		displayOptions: { show: { inputSource: ['csv'] } },
		description:
			'The binary property of the first item that holds the leavers CSV, or a report of this node to retry',
	},
	...columnProperties(),
	...scopeProperties(),
	{
		displayName: 'Output',
		name: 'outputMode',
		type: 'options',
		options: [
			{ name: 'One Item per Result', value: 'perResult' },
			{ name: 'Summary and CSV Report', value: 'summary' },
			{ name: 'GDPR Receipt per Person', value: 'receipt' },
		],
		default: 'perResult',
		description:
			'A GDPR receipt answers an erasure request: per system, access removed or no access found, and the due date (one calendar month)',
	},
	{
		displayName: 'Request ID',
		name: 'requestId',
		type: 'string',
		default: '={{ $json.requestId }}',
		required: true,
		displayOptions: { show: { outputMode: ['receipt'] } },
		description: "The erasure request's reference, echoed in its receipt",
	},
	LIMIT_STORE_PARAMETER,
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add option',
		default: {},
		options: [
			{
				displayName: 'Allow / \\ ? # % in IDs For',
				name: 'unsafePathIdSystems',
				type: 'multiOptions',
				options: systemOptions,
				default: [],
				description:
					'IDs that go into a URL path and contain / \\ ? # or % are refused by default: a proxy that decodes them before routing would see another path. Choose the systems whose real IDs contain them (they are then sent percent-encoded).',
			},
			{
				displayName: 'Deletion Threshold',
				name: 'deletionThreshold',
				type: 'number',
				typeOptions: { minValue: 1 },
				default: DEFAULT_DELETION_THRESHOLD,
				description:
					'Refuse the whole run, before any call, if more removals than this would be sent',
			},
			{
				displayName: 'Dry Run',
				name: 'dryRun',
				type: 'boolean',
				default: false,
				description:
					'Whether to send nothing and report each request that would be sent (credentials redacted)',
			},
			{
				displayName: 'Limits per System',
				name: 'systemLimits',
				type: 'fixedCollection',
				typeOptions: { multipleValues: true },
				default: {},
				options: [
					{
						displayName: 'Limit',
						name: 'limit',
						/* eslint-disable n8n-nodes-base/node-param-default-missing -- the defaults come from
						   src/engine (one place for defaults); the rule recognises only literals */
						values: [
							{
								displayName: 'Attempts',
								name: 'maxAttempts',
								type: 'number',
								typeOptions: { minValue: 1 },
								default: DEFAULT_RETRY.maxAttempts,
								description: `Requests per user, the first included. Answers that ask to slow down (429, or 503 with Retry-After or an overload message) do not count, up to ${DEFAULT_RETRY.maxOverloadRetries} of them.`,
							},
							{
								displayName: 'Max Concurrency',
								name: 'maxConcurrency',
								type: 'number',
								typeOptions: { minValue: 0 },
								default: 0,
								description: `Requests in flight at most. 0: discovered — it starts at ${DEFAULT_LIMITS.concurrency}, grows while answers stay fast and drops when the system says "too many concurrent requests" (up to ${DEFAULT_LIMITS.maxConcurrency}).`,
							},
							{
								displayName: 'Max Rate (Requests per Second)',
								name: 'maxRatePerSecond',
								type: 'number',
								typeOptions: { minValue: 0, numberPrecision: 2 },
								default: 0,
								description:
									'Never faster than this. 0: no maximum — the rate is discovered from what the system answers and announces.',
							},
							{
								displayName: 'Max Retry-After Wait (Seconds)',
								name: 'maxRetryAfterSeconds',
								type: 'number',
								typeOptions: { minValue: 0 },
								default: DEFAULT_LIMITS.maxRetryAfterMs / 1000,
								description:
									'A longer pause (a quota) fails the remaining users of the system at once',
							},
							{
								displayName: 'Request Timeout (Seconds)',
								name: 'requestTimeoutSeconds',
								type: 'number',
								typeOptions: { minValue: 0.1, numberPrecision: 1 },
								default: DEFAULT_RETRY.requestTimeoutMs / 1000,
							},
							{
								displayName: 'Starting Rate (Requests per Second)',
								name: 'ratePerSecond',
								type: 'number',
								typeOptions: { minValue: 0.1, numberPrecision: 2 },
								default: DEFAULT_LIMITS.ratePerSecond,
								description:
									'Where the rate starts. It rises while answers are clean, adopts a limit the system announces (RateLimit headers) and slows down on 429 or 503, up to Max Rate.',
							},
							{
								displayName: 'System',
								name: 'system',
								type: 'options',
								options: systemOptions,
								default: 'flashback',
							},
						],
						/* eslint-enable n8n-nodes-base/node-param-default-missing */
					},
				],
			},
			{
				displayName: 'List Separator',
				name: 'listSeparator',
				type: 'string',
				default: ',',
				description: 'Separates several scope IDs in one CSV cell',
			},
			{
				displayName: 'Protected Users',
				name: 'protectedUsers',
				type: 'string',
				typeOptions: { rows: 3 },
				default: '',
				description:
					'Emails or IDs never to remove, separated by commas or new lines (emails in any case)',
			},
		],
	},
];
