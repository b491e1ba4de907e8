/**
 * Crash and resume in real n8n: the process running the nightly batch is killed mid-batch (SIGKILL,
 * as an OOM kill or a power cut would), and the same workflow run again completes it. Nobody is
 * missed, the users removed before the crash come back `not_found`, and no user is removed twice.
 */
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXAMPLES } from '../../e2e/examples';
import { parseReport } from '../../e2e/reportTable';
import { demoPerson, hrLeaversCsv } from '../../sandbox';
import { recordReliability } from '../support/reliability';
import { type E2eFixture, startFixture, stillMembers, SYSTEMS } from './fixture';

jest.setTimeout(240_000);

let fx: E2eFixture;
beforeAll(async () => {
	fx = await startFixture();
}, 600_000);
afterAll(async () => {
	await fx?.close();
});

const actedRemovals = (): number =>
	SYSTEMS.reduce((n, s) => n + fx.sandbox[s].removalRequests().filter((r) => r.acted).length, 0);

describe('Crash and resume in real n8n', () => {
	it('a batch killed mid-way is completed by running the same workflow again', async () => {
		const leavers = Array.from({ length: 60 }, (_, i) => demoPerson(601 + i));
		for (const person of leavers) fx.sandbox.addPerson(person);
		writeFileSync(join(fx.n8n.filesDir, 'leavers.csv'), hrLeaversCsv(leavers));
		const total = leavers.length * SYSTEMS.length; // 300 pairs; 5 req/s per system by default

		const run = await fx.n8n.executeInBackground(EXAMPLES.nightly.id);
		const deadline = Date.now() + 60_000;
		while (actedRemovals() < 40 && Date.now() < deadline)
			await new Promise((resolve) => setTimeout(resolve, 50));
		run.kill();
		await run.exited;
		await new Promise((resolve) => setTimeout(resolve, 500)); // requests in flight land or die
		const removedBeforeCrash = actedRemovals();
		expect(removedBeforeCrash).toBeGreaterThanOrEqual(40);
		expect(removedBeforeCrash).toBeLessThan(total); // it really was mid-batch
		// The crashed run wrote no report.
		expect(readdirSync(fx.n8n.filesDir).filter((f) => f.startsWith('offboarding-report-'))).toEqual(
			[],
		);

		const again = await fx.n8n.execute(EXAMPLES.nightly.id);
		expect(again.execution?.status).toBe('success');
		const reports = readdirSync(fx.n8n.filesDir).filter((f) => f.startsWith('offboarding-report-'));
		expect(reports).toHaveLength(1);
		const report = parseReport(readFileSync(join(fx.n8n.filesDir, reports[0]), 'utf8'));
		const counts: Record<string, number> = {};
		for (const record of report) counts[record.status] = (counts[record.status] ?? 0) + 1;
		const acted = SYSTEMS.map(
			(system) => fx.sandbox[system].removalRequests().filter((r) => r.acted).length,
		);
		const left = stillMembers(fx.sandbox, leavers);
		recordReliability({
			table: 'Crash and resume',
			case: `n8n SIGKILLed after ${removedBeforeCrash} of ${total} removals, then the same workflow run again`,
			expected: `second run: removed ${total - removedBeforeCrash}, not_found ${removedBeforeCrash} · 60 acting DELETEs per system · nobody left`,
			observed: `second run: ${Object.entries(counts)
				.map(([s, n]) => `${s} ${n}`)
				.join(', ')} · acting DELETEs per system ${acted.join('/')} · ${left.length} left`,
		});
		expect(counts).toEqual({ removed: total - removedBeforeCrash, not_found: removedBeforeCrash });

		// Ground truth: nobody left anywhere, and every user was removed by exactly one request.
		expect(acted).toEqual(SYSTEMS.map(() => leavers.length));
		expect(left).toEqual([]);
		for (const report of reports) rmSync(join(fx.n8n.filesDir, report));
	});
});
