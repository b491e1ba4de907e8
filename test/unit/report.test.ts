import { csvInputRows } from '../../src/csv';
import type { PairOutcome } from '../../src/engine/outcome';
import { planRows } from '../../src/engine/plan';
import {
	ReportBuilder,
	REPORT_COLUMNS,
	reportHeaderLine,
	reportLine,
	unescapeCell,
} from '../../src/engine/report';
import type { InputRow } from '../../src/engine/rows';
import { systemPlan } from '../support/plan';

function outcome(overrides: Partial<PairOutcome>): PairOutcome {
	return {
		pairId: 'x',
		row: 1,
		system: 'flashback',
		scope: { workspaceId: 'ws1' },
		userId: 'fb1',
		status: 'failed',
		kind: 'server_error',
		attempts: 5,
		durationMs: 1200,
		reason: 'Flashback failed on its side (503: busy)',
		...overrides,
	};
}

async function readBack(csv: string): Promise<InputRow[]> {
	async function* source() {
		yield Buffer.from(csv, 'utf8');
	}
	const rows: InputRow[] = [];
	for await (const row of csvInputRows(source(), ['email', 'flashbackUserId'])) rows.push(row);
	return rows;
}

/** Ids a spreadsheet would run as formulas, and ones that only look escaped. */
const HOSTILE_IDS = [
	'=1+2',
	'+SUM(A1)',
	'-5',
	'@me',
	'\tTAB',
	'\rCR',
	"'=already",
	"''=twice",
	"'plain",
	'a,b',
	'say "hi"',
	'line\nbreak',
	' padded ',
	'Zoë 🚀',
	'=HYPERLINK("http://x")',
];

describe('report CSV', () => {
	it('starts with the marker column and one line per outcome', () => {
		const header = reportHeaderLine();
		expect(header.split(',')[0]).toBe('n8n-offboarding-report');
		expect(header.trim().split(',')).toEqual([...REPORT_COLUMNS]);
		expect(
			reportLine(outcome({ detail: { cancelledAt: '2026-11-27T00:00:00Z', suspendedAt: null } }))
				.trim()
				.split(','),
		).toEqual([
			'v1',
			'1',
			'',
			'flashback',
			'',
			'',
			'ws1',
			'',
			'fb1',
			'failed',
			'',
			'5',
			'1200',
			'Flashback failed on its side (503: busy)',
			'',
			'',
			'',
			'2026-11-27T00:00:00Z',
			'',
		]);
	});

	it('escapes formula-looking cells so a spreadsheet shows them as text', () => {
		const line = reportLine(outcome({ userId: '=1+2', email: '@x', reason: '-bad' }));
		expect(line).toContain(`"'=1+2"`);
		expect(line).toContain(`"'@x"`);
		expect(line).toContain(`"'-bad"`);
	});

	it.each(HOSTILE_IDS)('round-trips the id %j byte for byte', async (id) => {
		const csv =
			reportHeaderLine() +
			reportLine(outcome({ userId: id, email: id, scope: { workspaceId: id } }));
		const rows = await readBack(csv);
		expect(rows).toEqual([
			{
				kind: 'pair',
				row: 1,
				system: 'flashback',
				scope: { workspaceId: id },
				userId: id,
				email: id,
				previousStatus: 'failed',
			},
		]);
	});

	it('strips exactly the escaping it added', () => {
		expect(["'=x", "''=x", "'x", "''x", '=x', "'"].map(unescapeCell)).toEqual([
			'=x',
			"'=x",
			"'x",
			"''x",
			'=x',
			"'",
		]);
	});

	it('a failed-only report fed back retries exactly its pairs', async () => {
		const failed = HOSTILE_IDS.filter((id) => !id.startsWith(' ')).map((id, i) =>
			outcome({ row: i + 1, userId: id }),
		);
		const csv = reportHeaderLine() + failed.map(reportLine).join('');
		const rows = await readBack(csv);
		const sent: string[] = [];
		const refused: string[] = [];
		for await (const step of planRows(rows, { systems: [systemPlan('flashback')] })) {
			if (step.kind === 'send') sent.push(step.pair.userId);
			else refused.push(`${step.outcome.userId}: ${step.outcome.reason}`);
		}
		// CR and LF can never be part of an id, nor / \\ ? # % part of one in a URL path (DESIGN §2):
		// those rows fail again, with the reason.
		const valid = failed.map((o) => o.userId).filter((id) => !/[\r\n/\\?#%]/.test(id));
		expect(sent).toEqual(valid);
		expect(refused).toEqual([
			'\rCR: row 6: Flashback user id contains a control character (NUL, CR, LF…)',
			'line\nbreak: row 12: Flashback user id contains a control character (NUL, CR, LF…)',
			`=HYPERLINK("http://x"): row 14: Flashback user id "=HYPERLINK("http://x")" contains / \\ ? # or %, which would be unsafe in a URL path (a proxy that decodes it would see another path): not sent. If this system's ids really contain them, allow them in the node's options`,
		]);
	});
});

describe('ReportBuilder', () => {
	it('totals per system and status', () => {
		const report = new ReportBuilder();
		for (const status of ['removed', 'removed', 'failed', 'skipped'] as const)
			report.add(outcome({ status }));
		report.add(outcome({ system: 'ejento', status: 'not_found' }));
		expect(Object.keys(report.totals())).toEqual(['ejento', 'flashback']); // the systems' order
		expect(report.totals()).toEqual({
			flashback: { removed: 2, not_found: 0, would_remove: 0, skipped: 1, failed: 1 },
			ejento: { removed: 0, not_found: 1, would_remove: 0, skipped: 0, failed: 0 },
		});
	});

	it('warns when every pair of a system is not_found', () => {
		const report = new ReportBuilder();
		for (let i = 0; i < 3; i++) report.add(outcome({ system: 'ejento', status: 'not_found' }));
		report.add(outcome({ status: 'not_found' }));
		report.add(outcome({ status: 'removed' }));
		expect(report.warnings()).toEqual([
			'Ejento: all 3 users were not found. Check the base URL and scope ids before reading this as done: a typo looks exactly like this.',
		]);
	});

	it("lists warnings in the systems' order, whichever finished first", () => {
		const report = new ReportBuilder();
		report.add(outcome({ system: 'mudbase', status: 'not_found' }));
		report.add(outcome({ system: 'productAccess', status: 'not_found' }));
		expect(report.warnings().map((w) => w.split(':')[0])).toEqual(['Product Access', 'Mudbase']);
	});
});
