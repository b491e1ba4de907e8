/**
 * Input rows: one person (email plus an id per system, from n8n items or a leavers CSV), or one
 * pair (a row of our own report fed back). Values are validated with zod, with a per-row reason.
 */
import { z } from 'zod';
import type { SystemId } from '../systems/types';
import type { OutcomeStatus } from './outcome';

export interface PersonRow {
	kind: 'person';
	/** 1-based: item index + 1, or the CSV data row. */
	row: number;
	fields: Readonly<Record<string, unknown>>;
	/** Set when the row could not be read at all (a malformed CSV line). */
	error?: string;
	/**
	 * Values a node gives per row, by system, instead of row fields: a per-system node's User ID and
	 * scope parameters, evaluated per item. A scope source `{ given: true }` reads `scopes[key]`.
	 */
	given?: Readonly<Partial<Record<SystemId, GivenIds>>>;
	/** The email as the node gives it per row (an Email Column expression), instead of a field. */
	givenEmail?: unknown;
}

export interface GivenIds {
	userId?: unknown;
	scopes?: Readonly<Record<string, unknown>>;
}

/** A row of one of our reports, read back to retry its pair. */
export interface ReportPairRow {
	kind: 'pair';
	row: number;
	system: SystemId;
	scope: Readonly<Record<string, string>>;
	userId: string;
	email?: string;
	/** The app the row was for (a SCIM app's "Slack"): retried only against that app. */
	systemName?: string;
	previousStatus: OutcomeStatus;
	/** An unconfirmed "not found" (scope evidence): asked again, its scope may be confirmed now. */
	previousUnconfirmed?: true;
}

export type InputRow = PersonRow | ReportPairRow;

/**
 * A column or field name as names are matched: case and spaces ignored, so "Work Email",
 * "work email " and "WorkEmail" are one name (HR exports differ in both; Excel adds no-break spaces).
 */
export function columnKey(name: string): string {
	return name.replace(/\s+/g, '').toLowerCase();
}

/**
 * Looks a field up by exact name, else by `columnKey` ("Work Email" finds `work email`), else — an
 * item's nested field, as n8n's field paths name it — by a dotted path (`person.slackId`).
 */
export function fieldValue(fields: Readonly<Record<string, unknown>>, name: string): unknown {
	if (name in fields) return fields[name];
	const wanted = columnKey(name);
	for (const key of Object.keys(fields)) if (columnKey(key) === wanted) return fields[key];
	const dot = name.indexOf('.');
	if (dot <= 0 || dot === name.length - 1) return undefined;
	const head = fieldValue(fields, name.slice(0, dot));
	return head !== null && typeof head === 'object' && !Array.isArray(head)
		? fieldValue(head as Record<string, unknown>, name.slice(dot + 1))
		: undefined;
}

// One '@' with something on both sides and no spaces, or blank: loose on purpose (a strict RFC
// check would refuse real addresses), since ids, not emails, decide what is removed.
const EMAIL_OR_BLANK = /^\s*(?:[^\s@]+@[^\s@]+)?\s*$/;

// Schemas without transforms: zod's effects cost ~6 µs a value, and a 1,000,000-row file has
// millions of values. Conversion to text happens after validation, in `textOf`.
const scalar = z.union([z.string(), z.number().finite(), z.bigint(), z.null(), z.undefined()]);
const email = z
	.string({ invalid_type_error: 'must be text' })
	.regex(EMAIL_OR_BLANK, 'is not an email address')
	.nullish();
const listItems = z.union([
	z.array(z.union([z.string(), z.number().finite(), z.bigint(), z.null()])),
	scalar,
]);

export type Read<T> = { ok: true; value: T } | { ok: false; reason: string };

function textOf(value: string | number | bigint | null | undefined): string | undefined {
	if (value === null || value === undefined) return undefined;
	const text = String(value);
	return text.trim() === '' ? undefined : text;
}

/** "email "x" is not an email address" from a zod issue on field `name`. */
export function describeIssue(name: string, value: unknown, issue: z.ZodIssue): string {
	const shown =
		typeof value === 'string' || typeof value === 'number'
			? ` "${String(value).slice(0, 60)}"`
			: '';
	if (issue.code === 'invalid_union') return `${name}${shown} must be text or a number`;
	return `${name}${shown} ${issue.message}`;
}

/** An optional single value (text or a number); blank means absent. */
export function readValue(name: string, raw: unknown): Read<string | undefined> {
	const parsed = scalar.safeParse(raw);
	if (!parsed.success)
		return { ok: false, reason: describeIssue(name, raw, parsed.error.issues[0]) };
	return { ok: true, value: textOf(parsed.data) };
}

/** An optional email address, trimmed; blank means absent. */
export function readEmail(raw: unknown): Read<string | undefined> {
	const parsed = email.safeParse(raw);
	if (!parsed.success)
		return { ok: false, reason: describeIssue('email', raw, parsed.error.issues[0]) };
	return { ok: true, value: textOf(parsed.data)?.trim() };
}

/** A list: an array (from n8n items) or text split on `separator` (from a CSV cell); blanks dropped. */
export function readList(name: string, raw: unknown, separator: string): Read<string[]> {
	const parsed = listItems.safeParse(raw);
	if (!parsed.success)
		return { ok: false, reason: describeIssue(name, raw, parsed.error.issues[0]) };
	const data = parsed.data;
	const parts = Array.isArray(data) ? data.map(textOf) : (textOf(data)?.split(separator) ?? []);
	return {
		ok: true,
		value: parts
			.filter((p): p is string => p !== undefined && p.trim() !== '')
			.map((p) => p.trim()),
	};
}

/** Normal form for matching duplicates and protected users: trimmed; emails compared in lower case. */
export function matchKey(value: string): string {
	const trimmed = value.trim();
	return trimmed.includes('@') ? trimmed.toLowerCase() : trimmed;
}
