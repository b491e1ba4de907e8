/** The pieces a benchmark section hands to the driver, and Markdown helpers to render them. */
import type { WorkflowRecord } from '../../e2e/n8n';
import type { BenchN8n } from './n8nHarness';
import type { Sizes } from './sizes';

export interface Bar {
	name: string;
	target: string;
	measured: string;
	met: boolean;
}

export interface SectionResult {
	/** Markdown: tables and a few sentences; every number measured in this run. */
	markdown: string;
	bars: Bar[];
	/** Numbers the smoke test checks (e.g. failed, removed vs users). */
	checks: Record<string, number>;
}

export interface BenchContext {
	smoke: boolean;
	n8n: BenchN8n;
	sizes: Sizes;
	/** Results one section leaves for a later one (e.g. the slowest system alone). */
	shared: Map<string, number>;
	/** Leavers CSVs go here: n8n may read it (N8N_RESTRICT_FILE_ACCESS_TO). */
	filesDir: string;
	/** Where sections may put temporary files. */
	workDir: string;
	/** The packed package (sections that start their own n8n processes install it). */
	tarball: string;
	log(message: string): void;
}

export interface Section {
	id: string;
	title: string;
	/** The workflows this section executes, imported once before any section runs. */
	workflows(ctx: BenchContext): Promise<WorkflowRecord[]>;
	run(ctx: BenchContext): Promise<SectionResult>;
}

export type Cell = string | number;

export function table(header: string[], rows: Cell[][], align?: Array<'l' | 'r'>): string {
	const alignment = header.map((_, i) =>
		(align?.[i] ?? (i === 0 ? 'l' : 'r')) === 'l' ? '---' : '---:',
	);
	const line = (cells: Cell[]): string => `| ${cells.map(String).join(' | ')} |`;
	return [line(header), line(alignment), ...rows.map(line)].join('\n');
}

export const fixed = (value: number, digits = 1): string =>
	Number.isFinite(value) ? value.toFixed(digits) : '–';
export const seconds = (ms: number, digits = 1): string => fixed(ms / 1000, digits);
export const mib = (bytes: number): string => fixed(bytes / 2 ** 20, 0);
export const pct = (part: number, whole: number): string =>
	whole > 0 ? `${fixed((100 * part) / whole, 1)} %` : '–';
export const yesNo = (met: boolean): string => (met ? '**met**' : '**missed**');

/** Percentile (nearest rank) of `values`. */
export function percentile(values: readonly number[], p: number): number {
	if (values.length === 0) return NaN;
	const sorted = [...values].sort((a, b) => a - b);
	const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
	return sorted[rank - 1];
}
