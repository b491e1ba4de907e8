/**
 * Rows for docs/RELIABILITY.md, written by the tests that prove them. Each row's `observed` is
 * computed from what the test saw (outcomes, the emulators' ground truth), never typed in: the
 * test asserts `expected` separately. Recorded only when RELIABILITY_OUT names a directory
 * (`npm run reliability`); `npm test` runs the same assertions without writing anything.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

export interface ReliabilityRow {
	/** The table the row belongs to (one per section of RELIABILITY.md). */
	table: string;
	case: string;
	expected: string;
	observed: string;
}

export function recordReliability(row: ReliabilityRow): void {
	const dir = process.env.RELIABILITY_OUT;
	if (!dir) return;
	mkdirSync(dir, { recursive: true });
	const file = `${row.table.toLowerCase().replace(/[^a-z0-9]+/g, '-')}.jsonl`;
	appendFileSync(join(dir, file), `${JSON.stringify(row)}\n`);
}

/** A value as a table cell shows it: JSON-quoted, control characters visible, long values cut. */
export function shown(value: unknown): string {
	if (typeof value === 'string' && value.length > 40)
		return `${JSON.stringify(value.slice(0, 12))}… (${value.length} chars)`;
	const text = JSON.stringify(value) ?? String(value);
	// A lone surrogate: JSON.stringify keeps it as \udXXX already.
	return text;
}

/** Statuses counted in order of first appearance: "removed 11, failed 1". */
export function counted(statuses: readonly string[]): string {
	const counts = new Map<string, number>();
	for (const s of statuses) counts.set(s, (counts.get(s) ?? 0) + 1);
	return [...counts].map(([s, n]) => `${s} ${n}`).join(', ') || 'none';
}
