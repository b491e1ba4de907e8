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
}

/** A row of one of our reports, read back to retry its pair. */
export interface ReportPairRow {
	kind: 'pair';
	row: number;
	system: SystemId;
	scope: Readonly<Record<string, string>>;
	userId: string;
	email?: string;
	previousStatus: OutcomeStatus;
}

export type InputRow = PersonRow | ReportPairRow;

/** Looks a field up by exact name, else case-insensitively ("Email" finds `email`). */
export function fieldValue(fields: Readonly<Record<string, unknown>>, name: string): unknown {
	if (name in fields) return fields[name];
	const lower = name.toLowerCase();
	for (const key of Object.keys(fields)) if (key.trim().toLowerCase() === lower) return fields[key];
	return undefined;
}

// One '@' with something on both sides and no spaces: loose on purpose (a strict RFC check would
// refuse real addresses), since ids, not emails, decide what is removed.
const EMAIL_SHAPE = /^[^\s@]+@[^\s@]+$/;

const text = z.union([z.string(), z.number().finite(), z.bigint()]).transform((v) => String(v));
const blankToUndefined = (v: string | null | undefined): string | undefined =>
	v === null || v === undefined || v.trim() === '' ? undefined : v;

/** An optional single value: text or a number; blank means absent. */
export const optionalValue = z.union([text, z.null(), z.undefined()]).transform(blankToUndefined);

export const optionalEmail = optionalValue.refine(
	(v) => v === undefined || EMAIL_SHAPE.test(v.trim()),
	{
		message: 'is not an email address',
	},
);

/** A list: an array (from n8n items) or text split on `separator` (from a CSV cell). */
export function listValue(separator: string) {
	return z
		.union([z.array(z.union([text, z.null()])), text, z.null(), z.undefined()])
		.transform((v) => {
			if (v === null || v === undefined) return [];
			const parts = Array.isArray(v) ? v : v.split(separator);
			return parts.filter((p): p is string => p !== null && p.trim() !== '').map((p) => p.trim());
		});
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

/** Normal form for matching duplicates and protected users: trimmed; emails compared in lower case. */
export function matchKey(value: string): string {
	const trimmed = value.trim();
	return trimmed.includes('@') ? trimmed.toLowerCase() : trimmed;
}
