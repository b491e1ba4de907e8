/**
 * The audit report: totals per system and status, warnings, and a CSV (papaparse, `escapeFormulae`)
 * whose first column marks it as this tool's report, so that feeding it back as input strips
 * exactly the escaping it added and retries its failed pairs with every id byte for byte.
 */
import Papa from 'papaparse';
import { SYSTEMS, SYSTEM_IDS } from '../systems';
import type { SystemId } from '../systems/types';
import type { OutcomeStatus, PairOutcome } from './outcome';
import type { ReportPairRow } from './rows';
import { scopeDescription, wrongScopeExplanation } from './scopeEvidence';

export const REPORT_MARKER = 'n8n-offboarding-report';
export const REPORT_VERSION = 'v1';

const STATUSES: readonly OutcomeStatus[] = [
	'removed',
	'not_found',
	'would_remove',
	'skipped',
	'failed',
];
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
 * Cells papaparse escapes with a leading `'` so a spreadsheet does not run them: those starting
 * with = + - @ TAB CR — and those starting with `'`s before one of these, so that reading back can
 * strip exactly one `'` and never mistake an id that really starts with `'` for an escaped one.
 */
const FORMULA = /^'*[=+\-@\t\r]/;
const ESCAPED = /^'(?='*[=+\-@\t\r])/;

export type Totals = Record<SystemId, Record<OutcomeStatus, number>>;

/** Scopes named in an "unconfirmed" warning, at most. */
const NAMED_SCOPES = 5;

export class ReportBuilder {
	private readonly counts = new Map<SystemId, Record<OutcomeStatus, number>>();
	/** Per system: unconfirmed "not found" answers and the scopes they were in. */
	private readonly unconfirmed = new Map<SystemId, { count: number; scopes: Set<string> }>();

	add(outcome: PairOutcome): void {
		if (outcome.scopeUnconfirmed) {
			const entry = this.unconfirmed.get(outcome.system) ?? { count: 0, scopes: new Set() };
			entry.count++;
			if (entry.scopes.size < NAMED_SCOPES)
				entry.scopes.add(scopeDescription(SYSTEMS[outcome.system], outcome.scope));
			this.unconfirmed.set(outcome.system, entry);
		}
		let counts = this.counts.get(outcome.system);
		if (!counts) {
			counts = Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<OutcomeStatus, number>;
			this.counts.set(outcome.system, counts);
		}
		counts[outcome.status]++;
	}

	/** The systems that had pairs in this run, in the systems' order (not in finishing order). */
	private ordered(): Array<[SystemId, Record<OutcomeStatus, number>]> {
		return [...this.counts].sort(([a], [b]) => SYSTEM_IDS.indexOf(a) - SYSTEM_IDS.indexOf(b));
	}

	/** Per system that had pairs in this run. */
	totals(): Partial<Totals> {
		return Object.fromEntries(this.ordered());
	}

	/** "Check base URL and scope ids" when every pair of a system came back not_found. */
	warnings(): string[] {
		const out: string[] = [];
		for (const [system, counts] of this.ordered()) {
			const total = STATUSES.reduce((n, s) => n + counts[s], 0);
			if (total > 0 && counts.not_found === total) {
				out.push(
					`${SYSTEMS[system].displayName}: all ${total} users were not found. Check the base URL and scope ids before reading this as done: a typo looks exactly like this.`,
				);
			}
			const unconfirmed = this.unconfirmed.get(system);
			if (unconfirmed) {
				const definition = SYSTEMS[system];
				out.push(
					`${definition.displayName}: ${unconfirmed.count} "not found" ${unconfirmed.count === 1 ? 'answer is' : 'answers are'} unconfirmed: ${wrongScopeExplanation(definition)}. Check ${[...unconfirmed.scopes].join(', ')}: until a removal there succeeds, "not found" there may mean a wrong id.`,
				);
			}
		}
		return out;
	}
}

function cells(outcome: PairOutcome): string[] {
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

export function reportHeaderLine(): string {
	return `${Papa.unparse([REPORT_COLUMNS as unknown as string[]], UNPARSE)}\r\n`;
}

export function reportLine(outcome: PairOutcome): string {
	return `${Papa.unparse([cells(outcome)], UNPARSE)}\r\n`;
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
	const email = get('email');
	return {
		kind: 'pair',
		row,
		system,
		scope,
		userId: get('userId'),
		...(email !== '' ? { email } : {}),
		previousStatus: status,
		...(status === 'not_found' && get('scopeUnconfirmed') === 'true'
			? { previousUnconfirmed: true as const }
			: {}),
	};
}
