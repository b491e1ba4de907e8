/**
 * The plan: input rows become (row, system, scope) pairs to send, or an outcome at once — a missing
 * id (`skipped`), an id that cannot make a safe request (`failed`), a duplicate or a protected user
 * (`skipped`). Every pair gets exactly one step. Memory is O(distinct pairs): a hash per pair sent.
 */
import { createHash } from 'node:crypto';
import { buildRemovalRequest, type RemovalRequest, type RequestOptions } from '../systems/request';
import type { SystemDefinition, SystemId } from '../systems/types';
import {
	type OutcomeKind,
	type OutcomeStatus,
	type Pair,
	pairFields,
	type PairOutcome,
} from './outcome';
import {
	fieldValue,
	type InputRow,
	readEmail,
	readList,
	readValue,
	matchKey,
	type PersonRow,
	type ReportPairRow,
} from './rows';

/**
 * Where a scope id comes from: fixed in the node (one or many), a row field (one or a list;
 * `single`: exactly one id, never split), or given by the node per row (`PersonRow.given`: a
 * per-system node's parameter, an AI tool's argument — exactly one id, never split; or, `list`,
 * an Offboard Users expression per item — one or a list, like a field; `label` names it in reasons).
 */
export type ScopeSource =
	| { fixed: readonly string[] }
	| { field: string; single?: boolean }
	| { given: true; list?: boolean; label?: string };

/**
 * Where a row's email or user id is read: a field (a CSV column, an item field; matched as
 * `fieldValue` does), or given by the node per row (`PersonRow.givenEmail` / `given[system].userId`:
 * an expression evaluated per item), which `given` names in reasons ('value of the "Email Column"
 * expression').
 */
export type ValueSource = { field: string } | { given: string };

/**
 * Per system, how many rows named a user (and so were planned) and how many had no id to use;
 * `field` or `given` says where the ids were read.
 */
export type UserIdCount = ValueSource & {
	/** Rows with an id (each planned: sent, or skipped as a duplicate or a protected user). */
	withId: number;
	/** Rows with no id for this system: skipped, nothing sent there. */
	missingId: number;
	/** Rows that could not be read, or whose id is not a usable value: failed. */
	unreadable: number;
};

/** How a value source is named in a reason: the field's name, or what gives the value. */
export function sourceName(source: ValueSource): string {
	return 'field' in source ? source.field : source.given;
}

export interface SystemPlan {
	system: SystemDefinition;
	baseUrl: string;
	/**
	 * Where this system's user id is read (default: the system's own field, e.g. `flashbackUserId`).
	 * A system that finds users by their email (`userIdField: 'email'`, SCIM by email) reads the
	 * plan's email source instead of a field named here (a `given` source still holds).
	 */
	userId?: ValueSource;
	/** One source per scope field of the system (e.g. `workspaceId`). */
	scopes: Readonly<Record<string, ScopeSource>>;
	/** The credential's own account (e.g. Mudbase JWT `sub`): never removed. */
	ownAccountIds?: readonly string[];
	request?: RequestOptions;
}

export interface PlanConfig {
	systems: readonly SystemPlan[];
	/** Emails or ids never to remove, matched like duplicates (trimmed; emails case-insensitive). */
	protectedUsers?: readonly string[];
	/** Splits a list-valued scope cell of a CSV (default ","). */
	listSeparator?: string;
	/** Where each row's email is read (default: the field `email`). */
	email?: ValueSource;
}

const EMAIL_FIELD: ValueSource = { field: 'email' };

/** Where `plan`'s user ids are read in a run whose emails come from `email`. */
export function userIdSource(plan: SystemPlan, email: ValueSource = EMAIL_FIELD): ValueSource {
	// A node that gives the id per row (a per-system node's User) gives it whatever the system
	// finds people by; otherwise a system that finds people by their email reads the email.
	if (plan.userId && 'given' in plan.userId) return plan.userId;
	if (plan.system.userIdField === 'email') return email;
	return plan.userId ?? { field: plan.system.userIdField };
}

export type PlanStep =
	| { kind: 'send'; pair: Pair; request: RemovalRequest }
	| { kind: 'done'; outcome: PairOutcome };

/** How a refused row's value is shown in its outcome: text as given, cut at 200 characters. */
const SHOWN_MAX = 200;
function asShown(raw: unknown): string | undefined {
	if (typeof raw !== 'string' && typeof raw !== 'number') return undefined;
	const text = String(raw);
	if (text.trim() === '') return undefined;
	return text.length > SHOWN_MAX ? `${text.slice(0, SHOWN_MAX)}…` : text;
}

/** One id, as it is: a value with commas stays one id (and then fails as an id, never fans out). */
function singleId(name: string, raw: unknown): ReturnType<typeof readList> {
	const value = readValue(name, raw);
	if (!value.ok) return value;
	const id = value.value?.trim();
	return { ok: true, value: id ? [id] : [] };
}

/**
 * The key a pair is deduplicated on: short keys as they are, long ones as a 128-bit hash, so memory
 * stays a few dozen bytes per distinct pair. (A JSON key starts with "[", which base64 never does.)
 */
function dedupeKey(system: SystemId, scope: readonly string[], user: string): string {
	const key = JSON.stringify([system, scope, user]);
	return key.length <= 48 ? key : createHash('sha256').update(key).digest('base64').slice(0, 22);
}

const REPORT_RETRIED: ReadonlySet<OutcomeStatus> = new Set<OutcomeStatus>([
	'failed',
	'would_remove',
]);

function done(pair: Pair, status: OutcomeStatus, kind: OutcomeKind, reason: string): PlanStep {
	return {
		kind: 'done',
		outcome: {
			...pairFields(pair),
			status,
			kind,
			attempts: 0,
			durationMs: 0,
			reason,
		},
	};
}

/** Every combination of the scope fields' values: a leaver in 30 chats is 30 pairs. */
function combinations(
	values: ReadonlyArray<[string, readonly string[]]>,
): Array<Record<string, string>> {
	let out: Array<Record<string, string>> = [{}];
	for (const [key, list] of values) {
		const next: Array<Record<string, string>> = [];
		for (const partial of out) for (const value of list) next.push({ ...partial, [key]: value });
		out = next;
	}
	return out;
}

/**
 * Protected Users match ids case-insensitively too (duplicates do not: `ABC` and `abc` may be two
 * users). A safety list errs towards protecting: a false match only skips a removal, which the
 * report shows; a missed one removes someone who was to be kept.
 */
function protectKey(value: string): string {
	return value.trim().toLowerCase();
}

export class Planner {
	private readonly sent = new Map<string, number>();
	private readonly protectedKeys: ReadonlySet<string>;
	private readonly separator: string;
	private readonly bySystem: ReadonlyMap<SystemId, SystemPlan>;
	private readonly email: ValueSource;
	private readonly counts = new Map<SystemId, UserIdCount>();
	private readonly idSources = new Map<SystemId, ValueSource>();

	constructor(private readonly config: PlanConfig) {
		this.email = config.email ?? EMAIL_FIELD;
		for (const plan of config.systems) {
			const source = userIdSource(plan, this.email);
			this.idSources.set(plan.system.id, source);
			this.counts.set(plan.system.id, { ...source, withId: 0, missingId: 0, unreadable: 0 });
		}
		this.protectedKeys = new Set(
			(config.protectedUsers ?? []).filter((u) => u.trim() !== '').map(protectKey),
		);
		this.separator = config.listSeparator ?? ',';
		this.bySystem = new Map(config.systems.map((s) => [s.system.id, s]));
	}

	/** Per system, the rows planned so far by whether they had an id (a report row has one). */
	userIds(): Partial<Record<SystemId, UserIdCount>> {
		return Object.fromEntries([...this.counts].map(([id, count]) => [id, { ...count }]));
	}

	private count(system: SystemId, kind: 'withId' | 'missingId' | 'unreadable'): void {
		const entry = this.counts.get(system);
		if (entry) entry[kind]++;
	}

	/** The steps for one input row, in system order. */
	*steps(row: InputRow): Generator<PlanStep> {
		if (row.kind === 'pair') yield this.reportPairStep(row);
		else yield* this.personSteps(row);
	}

	private *personSteps(row: PersonRow): Generator<PlanStep> {
		let counter = 0;
		const nextId = (system: SystemId): string => `${row.row}/${system}/${++counter}`;
		const rawEmail =
			'field' in this.email ? fieldValue(row.fields, this.email.field) : row.givenEmail;
		const readEmailResult = readEmail(rawEmail);
		const rowProblem = row.error ?? (readEmailResult.ok ? undefined : readEmailResult.reason);
		const email = readEmailResult.ok ? readEmailResult.value : undefined;

		// A refused row still shows who it was: the email and ids as the row gave them.
		const shownEmail = email ?? asShown(rawEmail);
		for (const plan of this.config.systems) {
			const id = plan.system.id;
			const base = {
				row: row.row,
				...(shownEmail !== undefined ? { email: shownEmail } : {}),
				system: id,
			};
			const given = row.given?.[id];
			const source = this.idSources.get(id) ?? userIdSource(plan, this.email);
			const field = sourceName(source);
			// A per-system node gives its User parameter per row, whatever the source says.
			const rawUser =
				given && 'userId' in given
					? given.userId
					: 'field' in source
						? fieldValue(row.fields, source.field)
						: source === this.email
							? rawEmail
							: undefined;
			const shownUser = asShown(rawUser) ?? '';
			if (rowProblem) {
				this.count(id, 'unreadable');
				for (const scope of this.fixedScopesOr(plan)) {
					yield done(
						{ ...base, id: nextId(id), scope, userId: shownUser },
						'failed',
						'invalid_input',
						`row ${row.row}: ${rowProblem}`,
					);
				}
				continue;
			}
			const user = readValue(field, rawUser);
			const scopeValues: Array<[string, readonly string[]]> = [];
			let scopeProblem: string | undefined;
			for (const scopeField of plan.system.scopeFields) {
				const source = plan.scopes[scopeField.key];
				if (!source) {
					scopeProblem = `${plan.system.displayName} ${scopeField.label} is not configured`;
					break;
				}
				if ('fixed' in source) {
					scopeValues.push([scopeField.key, source.fixed]);
					continue;
				}
				if ('given' in source) {
					const name = source.label ?? scopeField.label;
					const value = given?.scopes?.[scopeField.key];
					const list = source.list ? readList(name, value, this.separator) : singleId(name, value);
					if (!list.ok || list.value.length === 0) {
						scopeProblem = list.ok
							? `no ${plan.system.displayName} ${scopeField.label} given${source.label ? ` (${source.label})` : ''}`
							: list.reason;
						break;
					}
					scopeValues.push([scopeField.key, list.value]);
					continue;
				}
				const raw = fieldValue(row.fields, source.field);
				const list = source.single
					? singleId(source.field, raw)
					: readList(source.field, raw, this.separator);
				if (!list.ok || list.value.length === 0) {
					scopeProblem = list.ok
						? `no ${plan.system.displayName} ${scopeField.label} in column "${source.field}"`
						: list.reason;
					break;
				}
				scopeValues.push([scopeField.key, list.value]);
			}
			if (!user.ok) {
				this.count(id, 'unreadable');
				const reason = `row ${row.row}: ${user.reason}`;
				for (const scope of this.fixedScopesOr(plan))
					yield done(
						{ ...base, id: nextId(id), scope, userId: shownUser },
						'failed',
						'invalid_input',
						reason,
					);
				continue;
			}
			if (user.value === undefined) {
				this.count(id, 'missingId');
				for (const scope of scopeProblem ? [{}] : combinations(scopeValues)) {
					yield done(
						{ ...base, id: nextId(id), scope, userId: '' },
						'skipped',
						'missing_id',
						`row ${row.row} has no ${field}: nothing to remove in ${plan.system.displayName}`,
					);
				}
				continue;
			}
			this.count(id, 'withId');
			if (scopeProblem) {
				yield done(
					{ ...base, id: nextId(id), scope: {}, userId: user.value },
					'failed',
					'invalid_input',
					`row ${row.row}: ${scopeProblem}`,
				);
				continue;
			}
			for (const scope of combinations(scopeValues)) {
				yield this.pairStep(plan, { ...base, id: nextId(id), scope, userId: user.value }, email);
			}
		}
	}

	private reportPairStep(row: ReportPairRow): PlanStep {
		this.count(row.system, 'withId');
		const pair = {
			id: `${row.row}/${row.system}/1`,
			row: row.row,
			...(row.email !== undefined ? { email: row.email } : {}),
			system: row.system,
			scope: row.scope,
			userId: row.userId,
		};
		if (!REPORT_RETRIED.has(row.previousStatus) && !row.previousUnconfirmed) {
			return done(
				pair,
				'skipped',
				'already_done',
				`already ${row.previousStatus} in the report this row comes from: nothing to retry`,
			);
		}
		const plan = this.bySystem.get(row.system);
		if (!plan)
			return done(pair, 'failed', 'not_configured', `${row.system} is not selected in this run`);
		if (row.systemName !== undefined && row.systemName !== plan.system.displayName)
			return done(
				pair,
				'failed',
				'not_configured',
				`this report row is for ${row.systemName}, but this node's ${row.system} app is ${plan.system.displayName}: not sent`,
			);
		return this.pairStep(plan, pair, row.email);
	}

	/** Checks a pair that has all its ids: safe request, protected, duplicate; else it is sent. */
	private pairStep(plan: SystemPlan, pair: Pair, email: string | undefined): PlanStep {
		const built = buildRemovalRequest(
			plan.system,
			plan.baseUrl,
			pair.scope,
			pair.userId,
			plan.request,
		);
		if (!built.ok) return done(pair, 'failed', 'invalid_input', `row ${pair.row}: ${built.reason}`);
		const userKey = matchKey(pair.userId);
		const userId = pair.userId.replace(/^ +| +$/g, '');
		const normalized = { ...pair, userId };
		if ((plan.ownAccountIds ?? []).some((own) => matchKey(own) === userKey)) {
			return done(
				normalized,
				'skipped',
				'protected',
				`the credential's own ${plan.system.displayName} account is never removed`,
			);
		}
		const protectedBy = [userId, email].find(
			(value) => value !== undefined && this.protectedKeys.has(protectKey(value)),
		);
		if (protectedBy !== undefined) {
			return done(
				normalized,
				'skipped',
				'protected',
				`"${matchKey(protectedBy)}" is in Protected Users: not removed`,
			);
		}
		const key = dedupeKey(
			plan.system.id,
			plan.system.scopeFields.map((f) => pair.scope[f.key]),
			userKey,
		);
		const first = this.sent.get(key);
		if (first !== undefined) {
			return done(
				normalized,
				'skipped',
				'duplicate',
				`duplicate of row ${first} (same ${plan.system.displayName} user and scope): sent once`,
			);
		}
		this.sent.set(key, pair.row);
		return { kind: 'send', pair: normalized, request: built.value };
	}

	/** The scopes an unreadable row would have had: the fixed ones, or one unknown scope. */
	private fixedScopesOr(plan: SystemPlan): Array<Record<string, string>> {
		const values: Array<[string, readonly string[]]> = [];
		for (const field of plan.system.scopeFields) {
			const source = plan.scopes[field.key];
			if (!source || !('fixed' in source)) return [{}];
			values.push([field.key, source.fixed]);
		}
		return combinations(values);
	}
}

/** Plans a whole input: every step, in input order. */
export async function* planRows(
	rows: AsyncIterable<InputRow> | Iterable<InputRow>,
	config: PlanConfig,
): AsyncGenerator<PlanStep> {
	const planner = new Planner(config);
	for await (const row of rows) yield* planner.steps(row);
}
