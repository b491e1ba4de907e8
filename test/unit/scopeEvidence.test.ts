/** Scope evidence: a "not found" from Ejento counts only in a project known to exist. */
import { MemoryLimitStore } from '../../src/engine/limits/store';
import type { PairOutcome } from '../../src/engine/outcome';
import { reportHeaderLine, reportLine } from '../../src/engine/report';
import { ReportBuilder } from '../../src/engine/report';
import { SCOPE_EVIDENCE_MS, ScopeEvidence, scopeDescription } from '../../src/engine/scopeEvidence';
import { customSystem } from '../../src/systems/custom';
import { readCsvRows } from '../../src/csv';
import { reportRowToPair } from '../../src/engine/report';
import { SYSTEMS } from '../../src/systems';
import type { SeedSystemId } from '../../src/systems';

let now = Date.UTC(2026, 10, 30, 12, 0, 0);
const clock = { now: () => now, sleep: async () => undefined };

function outcome(
	system: SeedSystemId,
	status: PairOutcome['status'],
	userId: string,
	scope: Record<string, string>,
): PairOutcome {
	return {
		pairId: `${userId}/${system}/1`,
		row: Number(userId.replace(/\D/g, '')) || 1,
		system,
		scope,
		userId,
		status,
		kind: status === 'removed' ? 'removed' : 'not_there',
		httpStatus: status === 'removed' ? 200 : 404,
		attempts: 1,
		durationMs: 5,
		reason: status === 'removed' ? 'removed' : 'Ejento: not there (404: Record Not Found)',
	};
}

function evidence(store: MemoryLimitStore, credentialKey = 'cred-1:abc'): ScopeEvidence {
	return new ScopeEvidence(store, {
		ejento: { system: SYSTEMS.ejento, credentialKey },
		flashback: { system: SYSTEMS.flashback, credentialKey },
	});
}

const P2 = { projectId: '2' };
const P3 = { projectId: '3' };

describe('scope evidence', () => {
	it('holds an Ejento "not found" until a removal in the same project confirms it, in the same run', async () => {
		const store = new MemoryLimitStore(clock);
		const run = evidence(store);
		const notFound = outcome('ejento', 'not_found', 'u1', P2);
		expect(await run.see(notFound)).toEqual([]);
		const removed = outcome('ejento', 'removed', 'u2', P2);
		expect(await run.see(removed)).toEqual([removed, notFound]);
		expect(await run.finish()).toEqual([]);
	});

	it('lets a "not found" out unconfirmed at the end of the run when its project has no evidence', async () => {
		const store = new MemoryLimitStore(clock);
		const run = evidence(store);
		expect(await run.see(outcome('ejento', 'not_found', 'u1', P3))).toEqual([]);
		// A removal in another project confirms only that project.
		expect(await run.see(outcome('ejento', 'removed', 'u2', P2))).toHaveLength(1);
		const [held] = await run.finish();
		expect(held).toMatchObject({ userId: 'u1', status: 'not_found', scopeUnconfirmed: true });
		expect(held.reason).toBe(
			'not found — unconfirmed: Ejento answers an unknown project exactly like a user without access (404 Record Not Found); check project 3 (a removal there confirms it). Ejento: not there (404: Record Not Found)',
		);
	});

	it('keeps the evidence in the limit store for 30 days, per credential', async () => {
		const store = new MemoryLimitStore(clock);
		await evidence(store).see(outcome('ejento', 'removed', 'u1', P2));
		const later = outcome('ejento', 'not_found', 'u3', P2);
		now += SCOPE_EVIDENCE_MS - 1000;
		expect(await evidence(store).see(later)).toEqual([later]);
		// Another credential (another Ejento tenant or token) has no evidence of its own.
		expect(await evidence(store, 'cred-2:def').see(later)).toEqual([]);
		now += 2000;
		expect(await evidence(store).see(later)).toEqual([]);
	});

	it('asks the store once per scope while the run goes on, writes evidence once, and asks again at the end', async () => {
		const store = new MemoryLimitStore(clock);
		const asked = jest.spyOn(store, 'scopeConfirmed');
		const written = jest.spyOn(store, 'confirmScope');
		const run = evidence(store);
		for (const user of ['u1', 'u2', 'u3'])
			expect(await run.see(outcome('ejento', 'not_found', user, P3))).toEqual([]);
		expect(asked).toHaveBeenCalledTimes(1);
		for (const user of ['u4', 'u5']) await run.see(outcome('ejento', 'removed', user, P2));
		expect(written).toHaveBeenCalledTimes(1);
		// Another worker proves project 3 while this run goes on: the held answers are confirmed.
		await evidence(store, 'cred-1:abc').see(outcome('ejento', 'removed', 'w1', P3));
		const held = await run.finish();
		expect(asked).toHaveBeenCalledTimes(2);
		expect(held.map((o) => [o.userId, o.scopeUnconfirmed ?? false])).toEqual([
			['u1', false],
			['u2', false],
			['u3', false],
		]);
	});

	it('never holds systems whose "not there" is unambiguous, nor other statuses', async () => {
		const run = evidence(new MemoryLimitStore(clock));
		const flashback = outcome('flashback', 'not_found', 'u1', { workspaceId: 'ws' });
		expect(await run.see(flashback)).toEqual([flashback]);
		const failed = { ...outcome('ejento', 'not_found', 'u2', P2), status: 'failed' as const };
		expect(await run.see(failed)).toEqual([failed]);
		expect(await run.finish()).toEqual([]);
	});

	it('is carried by the report: a column, a warning, and a retry when the report is fed back', async () => {
		const run = evidence(new MemoryLimitStore(clock));
		await run.see(outcome('ejento', 'not_found', 'u1', P3));
		const [held] = await run.finish();
		const report = new ReportBuilder();
		report.add(held);
		expect(report.warnings()).toEqual([
			'Ejento: all 1 users were not found. Check the base URL and scope ids before reading this as done: a typo looks exactly like this.',
			'Ejento: 1 "not found" answer is unconfirmed: Ejento answers an unknown project exactly like a user without access (404 Record Not Found). Check project 3: until a removal there succeeds, "not found" there may mean a wrong id.',
		]);
		const csv =
			reportHeaderLine() + reportLine(held) + reportLine(outcome('ejento', 'not_found', 'u2', P2));
		const rows = [];
		for await (const row of readCsvRows(
			(async function* () {
				yield Buffer.from(csv);
			})(),
		))
			rows.push(reportRowToPair(row.row, row.fields));
		expect(rows).toEqual([
			{
				kind: 'pair',
				row: 1,
				system: 'ejento',
				scope: P3,
				userId: 'u1',
				previousStatus: 'not_found',
				previousUnconfirmed: true,
			},
			{
				kind: 'pair',
				row: 2,
				system: 'ejento',
				scope: P2,
				userId: 'u2',
				previousStatus: 'not_found',
			},
		]);
	});
});

describe('scopeDescription for systems defined in the node', () => {
	it('names the scope keys of a Custom HTTP system, and the path when it has no scope', () => {
		const scoped = customSystem({ path: '/teams/{teamId}/members/{userId}' });
		expect(scopeDescription(scoped, { teamId: 't1' })).toBe('teamId t1');
		const plain = customSystem({ path: '/users/{userId}' });
		expect(scopeDescription(plain, {})).toBe('the path and base URL');
		// The registry's definition (reports read it) has no scope fields: the outcome's keys.
		expect(scopeDescription(customSystem(), { teamId: 't1' })).toBe('teamId t1');
		expect(plain.scopeEvidenceKey).toBe('DELETE /users/{userId}');
		expect(
			customSystem({ path: '/users/{userId}', notThereMessage: 'no such user' }).scopeEvidenceKey,
		).toBeUndefined();
	});
});
