/**
 * The one run path of every node in this package (Offboard Users and the five per-system nodes),
 * as Airtable v2's router is for its operations: the node reads its parameters into a `NodeRun`;
 * this resolves each system's credential, plans, starts the engine and hands the outcomes to the
 * output mode. Run-level refusals (threshold, expired pasted JWT, unreadable CSV, missing
 * configuration) are the engine's `RunRefusedError`s and apply to every node alike.
 */
import { Readable } from 'node:stream';
import {
	type ICredentialDataDecryptedObject,
	type IExecuteFunctions,
	type INodeExecutionData,
	NodeOperationError,
} from 'n8n-workflow';
import { type CsvColumn, csvInputRows } from '../csv';
import {
	type CredentialExpiry,
	type CredentialPlacement,
	offboard,
	type Offboarding,
	RunRefusedError,
} from '../engine/offboard';
import type { LimitStore } from '../engine/limits/store';
import { type ScopeSource, type SystemPlan, userIdSource, type ValueSource } from '../engine/plan';
import type { InputRow } from '../engine/rows';
import type { SystemRuntime } from '../engine/run';
import { SYSTEMS } from '../systems';
import type { SystemId } from '../systems/types';
import { EMAIL_COLUMN, scopeColumnDisplayName, userIdColumnDisplayName } from './columns';
import { type ChosenStore, chooseLimitStore } from './limitStore';
import { OUTPUTS, type OutputMode } from './outputs';
import { logProgress } from './progress';
import { n8nClock, resolveSystem, type SystemSettings } from './systems';

export interface NodeRunSystem {
	system: SystemId;
	settings: SystemSettings;
	/** One source per scope field of the system. */
	scopes: Readonly<Record<string, ScopeSource>>;
	/** Where its user ids are read (default: the system's own field, e.g. `flashbackUserId`). */
	userId?: ValueSource;
}

/** Where the rows come from: one per input item, or a CSV file in the first item's binary data. */
export type NodeRunInput = { rows: readonly InputRow[] } | { csvBinaryProperty: string };

export interface NodeRun {
	systems: readonly NodeRunSystem[];
	input: NodeRunInput;
	output: OutputMode;
	dryRun: boolean;
	deletionThreshold?: number;
	protectedUsers?: readonly string[];
	listSeparator?: string;
	/** Where each person's email is read (default: the field `email`). */
	email?: ValueSource;
	/**
	 * Called after planning, before anything is sent, with the pairs that would send a request and
	 * each system's limiter key (system + credential) and the run's limit store: the AI tool budget.
	 * A `RunRefusedError` refuses the run whole.
	 */
	beforeSending?: (
		toSend: number,
		credentialKeys: Readonly<Partial<Record<SystemId, string>>>,
		store: LimitStore,
	) => Promise<void>;
	/** The receipt's request id for an input item. */
	requestIdOf?: (item: number) => string;
	/** The node's Shared Limits parameter (absent in workflows saved before it existed: automatic). */
	limitStore?: 'auto' | 'redisCredential';
}

/** A pasted JWT (Mudbase) cannot be refreshed: the run must finish before it expires. */
function expiryOf(name: string, at: number | undefined): CredentialExpiry | undefined {
	if (at === undefined) return undefined;
	return {
		at,
		label: `The pasted ${name} JWT`,
		advice: 'Paste a fresh token or use log-in mode.',
	};
}

/**
 * The columns a CSV run reads, each named by the setting it comes from. Every id and scope column
 * must be in the file; the email column too when it was mapped or a system finds people by it.
 */
export function csvColumns(plans: readonly SystemPlan[], email: ValueSource): CsvColumn[] {
	const columns: CsvColumn[] = [];
	if ('field' in email)
		columns.push({
			name: email.field,
			what: EMAIL_COLUMN.displayName,
			required:
				email.field !== EMAIL_COLUMN.default || plans.some((p) => userIdSource(p, email) === email),
		});
	for (const plan of plans) {
		const id = plan.system.id;
		const source = userIdSource(plan, email);
		if ('field' in source && source !== email)
			columns.push({ name: source.field, what: userIdColumnDisplayName(id), required: true });
		for (const [key, scope] of Object.entries(plan.scopes))
			if ('field' in scope)
				columns.push({ name: scope.field, what: scopeColumnDisplayName(id, key), required: true });
	}
	return columns;
}

function csvRows(
	context: IExecuteFunctions,
	property: string,
	plans: readonly SystemPlan[],
	email: ValueSource,
): () => AsyncIterable<InputRow> {
	const binary = context.helpers.assertBinaryData(0, property);
	const columns = csvColumns(plans, email);
	return () =>
		csvInputRows(
			(async function* () {
				const stream: Readable = binary.id
					? await context.helpers.getBinaryStream(binary.id)
					: Readable.from([Buffer.from(binary.data, 'base64')]);
				yield* stream;
			})(),
			columns,
			binary.fileName ?? 'the CSV file',
		);
}

/** Runs one node execution: parameters (already read) → plan → engine → output mode. */
export async function runNode(
	context: IExecuteFunctions,
	config: NodeRun,
): Promise<INodeExecutionData[][]> {
	const receivedAt = new Date();
	const items = context.getInputData();
	const runtimes: Partial<Record<SystemId, SystemRuntime>> = {};
	const placement: Partial<Record<SystemId, CredentialPlacement>> = {};
	const credentialExpiry: Partial<Record<SystemId, CredentialExpiry>> = {};
	const credentialKeys: Partial<Record<SystemId, string>> = {};
	const plans: SystemPlan[] = [];
	let run: Offboarding;
	let store: ChosenStore;
	try {
		store = await chooseLimitStore(
			config.limitStore === 'redisCredential'
				? await context.getCredentials<ICredentialDataDecryptedObject>('sharedLimitsRedisApi')
				: undefined,
		);
		const email = config.email ?? { field: EMAIL_COLUMN.default };
		for (const { system, settings, scopes, userId } of config.systems) {
			const resolved = await resolveSystem(context, system, settings);
			runtimes[system] = resolved.runtime;
			placement[system] = resolved.placement;
			credentialKeys[system] = `${system}:${resolved.runtime.credentialKey}`;
			const expiry = expiryOf(resolved.runtime.system.displayName, resolved.expiresAt);
			if (expiry) credentialExpiry[system] = expiry;
			plans.push({
				system: resolved.runtime.system,
				baseUrl: resolved.baseUrl,
				// A scope the node's settings define (a Custom HTTP path's {teamId}) and the node has
				// no parameter for: the row field of that name, one id.
				scopes: {
					...Object.fromEntries(
						resolved.runtime.system.scopeFields.map((f) => [f.key, { field: f.key, single: true }]),
					),
					...scopes,
				},
				ownAccountIds: resolved.ownAccountIds,
				...(resolved.runtime.request ? { request: resolved.runtime.request } : {}),
				...(userId ? { userId } : {}),
			});
		}
		const input = config.input;
		const rows =
			'csvBinaryProperty' in input
				? csvRows(context, input.csvBinaryProperty, plans, email)
				: () => input.rows;
		run = await offboard(rows, {
			plan: {
				systems: plans,
				protectedUsers: config.protectedUsers ?? [],
				listSeparator: config.listSeparator ?? ',',
				email,
			},
			systems: runtimes,
			limiters: store.limiters,
			clock: n8nClock,
			signal: context.getExecutionCancelSignal(),
			dryRun: config.dryRun,
			deletionThreshold: config.deletionThreshold,
			credentialPlacement: placement,
			credentialExpiry,
		});
		if (!config.dryRun)
			await config.beforeSending?.(run.toSend, credentialKeys, store.limiters.store);
	} catch (error) {
		// Run-level refusals and anything unexpected: the node fails, which also fires Error Trigger
		// workflows. Per-row failures never get here.
		throw new NodeOperationError(
			context.getNode(),
			error instanceof RunRefusedError ? error.message : (error as Error).message,
		);
	}
	const fromFile = 'csvBinaryProperty' in config.input;
	// The name each system goes by in this node: its configured definition's (a SCIM app's own).
	const systems = config.systems.map(({ system }) => ({
		system,
		name: runtimes[system]?.system.displayName ?? SYSTEMS[system].displayName,
	}));
	const names = new Map(systems.map(({ system, name }) => [system, name]));
	// A dry run sends nothing: it is over before a progress line would help.
	const stopProgress = config.dryRun
		? () => undefined
		: logProgress(
				run,
				context.logger,
				context.getExecutionId(),
				context.getExecutionCancelSignal(),
			);
	try {
		return await OUTPUTS[config.output]({
			context,
			run,
			nameOf: (outcome) => names.get(outcome.system) ?? SYSTEMS[outcome.system].displayName,
			systems,
			itemCount: items.length,
			itemOf: (outcome) => (fromFile ? 0 : outcome.row - 1),
			routeErrors: context.getNode().onError === 'continueErrorOutput',
			dryRun: config.dryRun,
			receivedAt,
			requestIdOf: config.requestIdOf ?? (() => ''),
			limitStore: store.kind,
			// What the engine recorded per second: the HTML report's timeline (a dry run sends nothing).
			...(config.dryRun ? {} : { timeline: () => run.timeline() }),
		});
	} finally {
		stopProgress();
	}
}
