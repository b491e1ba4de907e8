/**
 * The audit report: totals per system and status, warnings, and a CSV (papaparse, `escapeFormulae`)
 * whose first column marks it as this tool's report, so that feeding it back as input strips
 * exactly the escaping it added and retries its failed pairs with every id byte for byte.
 */
import Papa from 'papaparse';
import { SYSTEMS, SYSTEM_IDS } from '../systems';
import type { SystemId } from '../systems/types';
import { OUTCOME_STATUSES as STATUSES, type OutcomeStatus, type ReportedOutcome } from './outcome';
import type { ReportPairRow } from './rows';
import { scopeDescription, wrongScopeExplanation } from './scopeEvidence';

export const REPORT_MARKER = 'n8n-offboarding-report';
export const REPORT_VERSION = 'v1';

/** Every scope field of the five systems, one column each. */
const SCOPE_COLUMNS = [
	...new Set(SYSTEM_IDS.flatMap((id) => SYSTEMS[id].scopeFields.map((f) => f.key))),
];

export const REPORT_COLUMNS = [
	REPORT_MARKER,
	'row',
	'email',
	'system',
	...SCOPE_COLUMNS,
	'userId',
	'status',
	'httpStatus',
	'attempts',
	'durationMs',
	'reason',
	'confirmedAfterUncertain',
	'uncertain',
	'scopeUnconfirmed',
	'cancelledAt',
	'request',
] as const;

/**
 * The app's own name (a SCIM app's "Slack"), last: written only in a report that has a system named
 * other than its registry name, so a seed-systems report stays as it always was. Read back by
 * name, so older reports (without it) read as before.
 */
export const SYSTEM_NAME_COLUMN = 'system_name';
/**
 * Beside it: the scope fields a node's settings define (a Custom HTTP path's `{teamId}`), which
 * have no column of their own, as JSON — so the report shows them and a retry sends them again.
 */
export const SYSTEM_SCOPE_COLUMN = 'system_scope';

/** The name an outcome's system goes by: the app's own (a SCIM app's "Slack") or the registry's. */
export type NameOf = (outcome: ReportedOutcome) => string;

/** The registry's name: what every seed system is called. */
export const registryName: NameOf = (outcome) => SYSTEMS[outcome.system].displayName;

/** One system as the report and the receipt count it: its id and its name (two SCIM apps apart). */
export interface NamedSystem {
	system: SystemId;
	name: string;
}

/** The registry's order, then by name: a stable order whatever order the outcomes came in. */
export function namedSystemOrder(a: NamedSystem, b: NamedSystem): number {
	return (
		SYSTEM_IDS.indexOf(a.system) - SYSTEM_IDS.indexOf(b.system) ||
		(a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
	);
}

/** A named system's key in `totals()`: its id, or `id:name` when it is named other than the registry. */
export function totalsKey({ system, name }: NamedSystem): string {
	return name === SYSTEMS[system].displayName ? system : `${system}:${name}`;
}

/**
 * Cells papaparse escapes with a leading `'` so a spreadsheet does not run them: those starting
 * with = + - @ TAB CR — and those starting with `'`s before one of these, so that reading back can
 * strip exactly one `'` and never mistake an id that really starts with `'` for an escaped one.
 */
const FORMULA = /^'*[=+\-@\t\r]/;
const ESCAPED = /^'(?='*[=+\-@\t\r])/;

/** Per named system (`totalsKey`): the seed systems by id, a named SCIM app as `scim:Slack`. */
export type Totals = Record<string, Record<OutcomeStatus, number>>;

/** Scopes named in an "unconfirmed" warning, at most. */
const NAMED_SCOPES = 5;

interface SystemCounts extends NamedSystem {
	counts: Record<OutcomeStatus, number>;
	/** Unconfirmed "not found" answers and the scopes they were in. */
	unconfirmed?: { count: number; scopes: Set<string> };
}

export class ReportBuilder {
	/** Per system id + name. */
	private readonly systems = new Map<string, SystemCounts>();

	/** Counts `outcome` under its system's id and `name` (the registry's unless given). */
	add(outcome: ReportedOutcome, name: string = registryName(outcome)): void {
		const key = `${outcome.system}\u0000${name}`;
		let entry = this.systems.get(key);
		if (!entry) {
			entry = {
				system: outcome.system,
				name,
				counts: Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<OutcomeStatus, number>,
			};
			this.systems.set(key, entry);
		}
		if (outcome.scopeUnconfirmed) {
			entry.unconfirmed ??= { count: 0, scopes: new Set() };
			entry.unconfirmed.count++;
			if (entry.unconfirmed.scopes.size < NAMED_SCOPES)
				entry.unconfirmed.scopes.add(scopeDescription(SYSTEMS[outcome.system], outcome.scope));
		}
		entry.counts[outcome.status]++;
	}

	/** The systems that had pairs in this run, in the systems' order (not in finishing order). */
	private ordered(): SystemCounts[] {
		return [...this.systems.values()].sort(namedSystemOrder);
	}

	/** Per system that had pairs in this run. */
	totals(): Partial<Totals> {
		return Object.fromEntries(this.ordered().map((entry) => [totalsKey(entry), entry.counts]));
	}

	/** "Check base URL and scope ids" when every pair of a system came back not_found. */
	warnings(): string[] {
		const out: string[] = [];
		for (const { system, name, counts, unconfirmed } of this.ordered()) {
			const total = STATUSES.reduce((n, s) => n + counts[s], 0);
			if (total > 0 && counts.not_found === total) {
				out.push(
					`${name}: all ${total} users were not found. Check the base URL and scope ids before reading this as done: a typo looks exactly like this.`,
				);
			}
			if (unconfirmed) {
				out.push(
					`${name}: ${unconfirmed.count} "not found" ${unconfirmed.count === 1 ? 'answer is' : 'answers are'} unconfirmed: ${wrongScopeExplanation(SYSTEMS[system])}. Check ${[...unconfirmed.scopes].join(', ')}: until a removal there succeeds, "not found" there may mean a wrong id.`,
				);
			}
		}
		return out;
	}
}

function cells(outcome: ReportedOutcome): string[] {
	const request = outcome.request
		? `${outcome.request.method} ${outcome.request.url}${outcome.request.body ? ` ${JSON.stringify(outcome.request.body)}` : ''}`
		: '';
	const record: Record<(typeof REPORT_COLUMNS)[number], string> = {
		[REPORT_MARKER]: REPORT_VERSION,
		row: String(outcome.row),
		email: outcome.email ?? '',
		system: outcome.system,
		...(Object.fromEntries(SCOPE_COLUMNS.map((key) => [key, outcome.scope[key] ?? ''])) as Record<
			string,
			string
		>),
		userId: outcome.userId,
		status: outcome.status,
		httpStatus: outcome.httpStatus === undefined ? '' : String(outcome.httpStatus),
		attempts: String(outcome.attempts),
		durationMs: String(outcome.durationMs),
		reason: outcome.reason,
		confirmedAfterUncertain: outcome.confirmedAfterUncertain ? 'true' : '',
		uncertain: outcome.uncertain ? 'true' : '',
		scopeUnconfirmed: outcome.scopeUnconfirmed ? 'true' : '',
		cancelledAt: outcome.detail?.cancelledAt ?? '',
		request,
	} as Record<(typeof REPORT_COLUMNS)[number], string>;
	return REPORT_COLUMNS.map((column) => record[column]);
}

const UNPARSE = { escapeFormulae: FORMULA, newline: '\r\n', quotes: false } as const;

/** The header; with `withSystemName`, the `system_name` column last (see SYSTEM_NAME_COLUMN). */
export function reportHeaderLine(withSystemName = false): string {
	const columns: string[] = [
		...REPORT_COLUMNS,
		...(withSystemName ? [SYSTEM_NAME_COLUMN, SYSTEM_SCOPE_COLUMN] : []),
	];
	return `${Papa.unparse([columns], UNPARSE)}\r\n`;
}

export function reportLine(outcome: ReportedOutcome): string {
	return `${Papa.unparse([cells(outcome)], UNPARSE)}\r\n`;
}

/** One outcome's line in a report whose header has the `system_name` column. */
export function namedReportLine(outcome: ReportedOutcome, systemName: string): string {
	const own = Object.entries(outcome.scope).filter(([key]) => !SCOPE_COLUMNS.includes(key));
	const scope = own.length > 0 ? JSON.stringify(Object.fromEntries(own)) : '';
	return `${Papa.unparse([[...cells(outcome), systemName, scope]], UNPARSE)}\r\n`;
}

/**
 * Does a report over these systems need the `system_name` column: is one of them named other than
 * its registry name (a SCIM app called "Slack")?
 */
export function needsSystemName(systems: Iterable<NamedSystem>): boolean {
	for (const { system, name } of systems)
		if (name !== SYSTEMS[system].displayName || SYSTEMS[system].configure) return true;
	return false;
}

/** Is this CSV header one of our reports? */
export function isReportHeader(columns: readonly string[]): boolean {
	return columns[0] === REPORT_MARKER;
}

/** Undoes exactly the escaping `reportLine` added. */
export function unescapeCell(value: string): string {
	return value.replace(ESCAPED, '');
}

/** A report row read back as the pair it describes; `undefined` with a reason if it is not one. */
export function reportRowToPair(
	row: number,
	fields: Readonly<Record<string, string>>,
): ReportPairRow | { error: string } {
	const get = (column: string): string => unescapeCell(fields[column] ?? '');
	const system = get('system') as SystemId;
	if (!SYSTEM_IDS.includes(system))
		return { error: `report row ${row}: unknown system "${get('system').slice(0, 40)}"` };
	const status = get('status') as OutcomeStatus;
	if (!STATUSES.includes(status))
		return { error: `report row ${row}: unknown status "${get('status').slice(0, 40)}"` };
	const scope: Record<string, string> = {};
	for (const field of SYSTEMS[system].scopeFields) scope[field.key] = get(field.key);
	const own = get(SYSTEM_SCOPE_COLUMN);
	if (own !== '') {
		let parsed: unknown;
		try {
			parsed = JSON.parse(own);
		} catch {
			parsed = undefined;
		}
		if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
			return { error: `report row ${row}: ${SYSTEM_SCOPE_COLUMN} is not a JSON object` };
		for (const [key, value] of Object.entries(parsed)) scope[key] = String(value);
	}
	const email = get('email');
	const systemName = get(SYSTEM_NAME_COLUMN);
	return {
		kind: 'pair',
		row,
		system,
		scope,
		userId: get('userId'),
		...(email !== '' ? { email } : {}),
		...(systemName !== '' ? { systemName } : {}),
		previousStatus: status,
		...(status === 'not_found' && get('scopeUnconfirmed') === 'true'
			? { previousUnconfirmed: true as const }
			: {}),
	};
}
