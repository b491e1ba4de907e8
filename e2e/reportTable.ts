/** Reads an Offboard Users CSV report and prints it as a table a person can scan. */
import Papa from 'papaparse';
import { REPORT_MARKER } from '../src/engine/report';
import { SEED_SYSTEM_IDS, type SeedSystemId } from '../src/systems';

export type ReportRecord = Record<string, string>;

export function parseReport(text: string): ReportRecord[] {
	const parsed = Papa.parse<ReportRecord>(text.replace(/^\uFEFF/, ''), {
		header: true,
		skipEmptyLines: true,
	});
	if (parsed.meta.fields?.[0] !== REPORT_MARKER)
		throw new Error(`not an Offboard Users report (first column "${parsed.meta.fields?.[0]}")`);
	return parsed.data;
}

function cell(value: string, width: number): string {
	const flat = value.replace(/\s+/g, ' ');
	return (flat.length > width ? `${flat.slice(0, width - 1)}…` : flat).padEnd(width);
}

/** One line per pair (row, email, system, user, status, HTTP, attempts, reason), then totals. */
export function reportTable(records: readonly ReportRecord[]): string {
	const columns: Array<[string, string, number]> = [
		['row', 'row', 4],
		['email', 'email', 24],
		['system', 'system', 14],
		['userId', 'user', 38],
		['status', 'status', 10],
		['httpStatus', 'http', 5],
		['attempts', 'tries', 5],
		['reason', 'reason', 60],
	];
	const lines = [columns.map(([, title, width]) => cell(title, width)).join(' ')];
	lines.push(columns.map(([, , width]) => '-'.repeat(width)).join(' '));
	const order = (r: ReportRecord): number =>
		Number(r.row) * 10 + SEED_SYSTEM_IDS.indexOf(r.system as SeedSystemId);
	for (const record of [...records].sort((a, b) => order(a) - order(b)))
		lines.push(columns.map(([key, , width]) => cell(record[key] ?? '', width)).join(' '));
	const totals = new Map<string, Map<string, number>>();
	for (const record of records) {
		const bySystem = totals.get(record.system) ?? new Map<string, number>();
		bySystem.set(record.status, (bySystem.get(record.status) ?? 0) + 1);
		totals.set(record.system, bySystem);
	}
	lines.push('');
	const statuses = ['removed', 'not_found', 'would_remove', 'skipped', 'failed'];
	for (const system of SEED_SYSTEM_IDS) {
		const counts = totals.get(system);
		if (!counts) continue;
		const parts = statuses.filter((s) => counts.has(s)).map((s) => `${s} ${counts.get(s)}`);
		lines.push(`${cell(system, 14)} ${parts.join(', ')}`);
	}
	return lines.map((line) => line.trimEnd()).join('\n');
}
