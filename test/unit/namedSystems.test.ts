/** Two apps of one system kind (two SCIM apps) stay apart in the report and the receipt. */
import type { ReportedOutcome } from '../../src/engine/outcome';
import {
	namedReportLine,
	ReportBuilder,
	reportHeaderLine,
	reportLine,
	reportRowToPair,
	SYSTEM_NAME_COLUMN,
	SYSTEM_SCOPE_COLUMN,
} from '../../src/engine/report';
import Papa from 'papaparse';
import { planRows } from '../../src/engine/plan';
import { scimSystem } from '../../src/systems/scim';
import { outcomeJson } from '../../src/n8n/items';
import { readOutcomeItem } from '../../src/n8n/outcomeItems';
import { buildReceipt } from '../../src/receipt';

function scim(overrides: Partial<ReportedOutcome>): ReportedOutcome {
	return {
		row: 1,
		email: 'ann@example.com',
		system: 'scim',
		scope: {},
		userId: 'ann@example.com',
		status: 'not_found',
		attempts: 1,
		durationMs: 3,
		reason: 'not there',
		...overrides,
	};
}

const [slack, zoom] = [scim({ status: 'removed' }), scim({ status: 'not_found' })];
const names = new Map([
	[slack, 'Slack'],
	[zoom, 'Zoom'],
]);
const STATUSES = { removed: 0, not_found: 0, would_remove: 0, skipped: 0, failed: 0 };

describe('systems named by their app', () => {
	it('counts two SCIM apps apart, keyed scim:<name>, in name order', () => {
		const report = new ReportBuilder();
		report.add(zoom, 'Zoom');
		report.add(slack, 'Slack');
		expect(report.totals()).toEqual({
			'scim:Slack': { ...STATUSES, removed: 1 },
			'scim:Zoom': { ...STATUSES, not_found: 1 },
		});
		expect(Object.keys(report.totals())).toEqual(['scim:Slack', 'scim:Zoom']);
		expect(report.warnings()).toEqual([
			'Zoom: all 1 users were not found. Check the base URL and scope ids before reading this as done: a typo looks exactly like this.',
		]);
	});

	it('gives each SCIM app its own receipt entry', () => {
		const receipt = buildReceipt({
			requestId: 'r',
			receivedAt: new Date('2026-01-01T00:00:00Z'),
			completedAt: new Date('2026-01-01T00:00:00Z'),
			outcomes: [zoom, slack],
			nameOf: (o) => names.get(o) ?? 'SCIM',
		});
		expect(receipt.systems.map((s) => [s.system, s.name, s.status])).toEqual([
			['scim', 'Slack', 'access removed'],
			['scim', 'Zoom', 'no access found'],
		]);
	});

	it('writes system_name and system_scope last only when asked, after the same cells', () => {
		expect(reportHeaderLine(true)).toBe(
			reportHeaderLine().replace('\r\n', `,${SYSTEM_NAME_COLUMN},${SYSTEM_SCOPE_COLUMN}\r\n`),
		);
		expect(namedReportLine(slack, 'Slack')).toBe(reportLine(slack).replace('\r\n', ',Slack,\r\n'));
	});

	it('keeps a Custom HTTP scope (no column of its own) in system_scope, and reads it back', () => {
		const custom: ReportedOutcome = {
			...scim({ status: 'failed' }),
			system: 'custom',
			scope: { teamId: 't-1' },
		};
		const line = namedReportLine(custom, 'Notion');
		expect(line.endsWith(',Notion,"{""teamId"":""t-1""}"\r\n')).toBe(true);
		const [header] = Papa.parse<string[]>(reportHeaderLine(true)).data;
		const [cells] = Papa.parse<string[]>(line).data;
		const fields = Object.fromEntries(header.map((column, i) => [column, cells[i]]));
		expect(reportRowToPair(2, fields)).toEqual({
			kind: 'pair',
			row: 2,
			system: 'custom',
			scope: { teamId: 't-1' },
			userId: 'ann@example.com',
			email: 'ann@example.com',
			systemName: 'Notion',
			previousStatus: 'failed',
		});
	});

	it('retries a report row only against the app it was for', async () => {
		const row = {
			kind: 'pair' as const,
			row: 1,
			system: 'scim' as const,
			scope: {},
			userId: 'ann@example.com',
			systemName: 'Slack',
			previousStatus: 'failed' as const,
		};
		const steps = [];
		for await (const step of planRows([row], {
			systems: [
				{
					system: scimSystem(undefined, 'Zoom'),
					baseUrl: 'https://zoom.example/scim/v2',
					scopes: {},
				},
			],
		}))
			steps.push(step);
		expect(steps).toEqual([
			{
				kind: 'done',
				outcome: expect.objectContaining({
					status: 'failed',
					kind: 'not_configured',
					reason: "this report row is for Slack, but this node's scim app is Zoom: not sent",
				}),
			},
		]);
	});

	it('reads an outcome item back as it was written, and an older one without systemName', () => {
		const outcome = { ...slack, pairId: 'p/0', kind: 'removed' as const, httpStatus: 204 };
		expect(readOutcomeItem(outcomeJson(outcome, 'Slack'))).toEqual({
			systemName: 'Slack',
			outcome: { ...slack, httpStatus: 204 },
		});
		const older = outcomeJson(outcome, 'Slack');
		delete older.systemName;
		expect(readOutcomeItem(older)).toMatchObject({ systemName: 'SCIM' });
	});
});
