/**
 * `npm run bench -- --smoke`: every benchmark section runs in real n8n at tiny sizes and the
 * document has every section and table, with sane ground-truth counts. No timing is asserted:
 * timings are what the benchmark reports, not what a test can promise on a shared machine.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BenchOutcome, runBench, SECTIONS } from '../../bench/run';
import type { SectionResult } from '../../bench/lib/report';

jest.setTimeout(600_000);

let dir: string;
let outcome: BenchOutcome;
let document: string;
const log: string[] = [];

beforeAll(async () => {
	dir = mkdtempSync(join(tmpdir(), 'offboarding-bench-smoke-'));
	const out = join(dir, 'BENCHMARKS.md');
	outcome = await runBench({ smoke: true, out, log: (line) => log.push(line) });
	document = readFileSync(out, 'utf8');
}, 600_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function checks(id: string): Record<string, number> {
	const result = outcome.results[id];
	if (!result || 'error' in result)
		throw new Error(`section ${id} failed:\n${result?.error}\n${log.join('\n')}`);
	return (result as SectionResult).checks;
}

it('writes every section, its tables, the bars and the machine', () => {
	for (const section of SECTIONS) {
		checks(section.id);
		expect(document).toContain(`. ${section.title}`);
	}
	expect(document).not.toContain('This section failed');
	expect(document).toContain('## Bars (DESIGN §7)');
	expect(document).toContain('## Machine, versions, commands');
	expect(document).toContain('| n8n | 2.40.7 |');
	expect(document).toContain('HTTP Request, Batching 10 / 500 ms');
	expect(document).toContain('Loop Over Items 10 + Wait 1 s');
});

it('removes every user exactly once in our utilisation runs, with 0 failed (ground truth)', () => {
	const c = checks('rate-limits');
	for (const i of [0, 1, 2]) {
		expect(c[`ours${i}.failed`]).toBe(0);
		expect(c[`ours${i}.removed`]).toBe(c.users);
		expect(c[`ours${i}.duplicates`]).toBe(0);
	}
	// The usual ways really ran against their emulators.
	for (const i of [0, 1, 2]) expect(c[`usual${i}.requests`]).toBeGreaterThan(0);
});

it("removes every user exactly once with the package's defaults, beside HTTP Request runs that really ran", () => {
	const c = checks('defaults');
	const rows = Object.keys(c)
		.filter((key) => key.endsWith('.users'))
		.map((key) => key.slice(0, -'.users'.length));
	// Six hidden-limit rows (two sizes × three dialects), two cap rows, one with no limit.
	expect(rows).toHaveLength(9);
	for (const row of rows) {
		expect({ row, failed: c[`${row}.failed`], duplicates: c[`${row}.duplicates`] }).toEqual({
			row,
			failed: 0,
			duplicates: 0,
		});
		expect(c[`${row}.removed`]).toBe(c[`${row}.users`]);
		expect(c[`${row}.http.requests`]).toBeGreaterThan(0);
	}
	expect(c['open.peakInFlight']).toBeGreaterThan(0);
	expect(document).toContain('### No limit at all');
	expect(document).toContain('Discovery stopped at');
});

it('removes everyone from all five systems at once, with 0 failed', () => {
	const c = checks('five-systems');
	expect(c.failed).toBe(0);
	expect(c.removed).toBe(c.expectedRemoved);
	expect(c.duplicates).toBe(0);
});

it('answers every GDPR webhook with a complete receipt, alone and beside the nightly run', () => {
	const c = checks('webhook');
	expect(c.incompleteReceipts).toBe(0);
	expect(c.latencyRequests).toBeGreaterThan(0);
	expect(c.nightlyRequests).toBeGreaterThan(0);
});

it('removes every user in the overhead runs and plans every row in the memory runs', () => {
	const o = checks('overhead');
	expect(o.engineRemoved).toBe(o.engineUsers);
	expect(o.perResultRemoved).toBe(o.n8nUsers);
	expect(o.summaryRemoved).toBe(o.n8nUsers);
	const m = checks('memory');
	expect(m.engineRemoved).toBe(m.engineRows);
	expect(m.n8nPlanned).toBe(m.n8nRows); // a dry run: every row planned…
	expect(m.n8nSent).toBe(0); // …and nothing sent
});

it('queue mode: main + 2 workers remove every batch user once, answer every GDPR request complete, and remove every capped batch', () => {
	expect(checks('queue')).toEqual({
		failedWorkerCounts: 0,
		failedBatches: 0,
		duplicates: 0,
		notRemovedOnce: 0,
		gdprIncomplete: 0,
		cappedMissing: 0,
	});
});
