import type { PairOutcome } from '../../src/engine/outcome';
import { addCalendarMonths, buildReceipt, emailHmac } from '../../src/receipt';

function outcome(
	system: PairOutcome['system'],
	status: PairOutcome['status'],
	reason = 'ok',
): PairOutcome {
	return {
		pairId: `${system}-${status}`,
		row: 1,
		system,
		scope: {},
		userId: 'u',
		status,
		kind: 'removed',
		attempts: 1,
		durationMs: 5,
		reason,
	};
}

describe('GDPR receipt', () => {
	it.each([
		['2027-01-31T10:00:00.000Z', '2027-02-28T10:00:00.000Z'],
		['2028-01-31T10:00:00.000Z', '2028-02-29T10:00:00.000Z'],
		['2026-03-31T23:59:59.000Z', '2026-04-30T23:59:59.000Z'],
		['2026-11-27T12:00:00.000Z', '2026-12-27T12:00:00.000Z'],
		['2026-12-15T00:00:00.000Z', '2027-01-15T00:00:00.000Z'],
	])('is due one calendar month after %s: %s', (received, due) => {
		expect(addCalendarMonths(new Date(received), 1).toISOString()).toBe(due);
	});

	// Systems in the systems' order, whichever answered first.
	it('says "access removed" per system and is complete only when nothing failed', () => {
		const receipt = buildReceipt({
			requestId: 'req-1',
			receivedAt: new Date('2027-01-31T10:00:00Z'),
			completedAt: new Date('2027-01-31T10:00:02Z'),
			outcomes: [
				outcome('flashback', 'removed'),
				outcome('ejento', 'not_found'),
				outcome('mudbase', 'removed'),
			],
		});
		expect(receipt).toEqual({
			requestId: 'req-1',
			receivedAt: '2027-01-31T10:00:00.000Z',
			dueBy: '2027-02-28T10:00:00.000Z',
			extendedDueBy: '2027-04-30T10:00:00.000Z',
			completedAt: '2027-01-31T10:00:02.000Z',
			systems: [
				{
					system: 'ejento',
					name: 'Ejento',
					status: 'no access found',
					counts: { removed: 0, not_found: 1, would_remove: 0, skipped: 0, failed: 0 },
					failures: [],
					skipped: [],
					unconfirmed: [],
				},
				{
					system: 'flashback',
					name: 'Flashback',
					status: 'access removed',
					counts: { removed: 1, not_found: 0, would_remove: 0, skipped: 0, failed: 0 },
					failures: [],
					skipped: [],
					unconfirmed: [],
				},
				{
					system: 'mudbase',
					name: 'Mudbase',
					status: 'access removed',
					counts: { removed: 1, not_found: 0, would_remove: 0, skipped: 0, failed: 0 },
					failures: [],
					skipped: [],
					unconfirmed: [],
				},
			],
			complete: true,
			statement:
				'Access removed from Flashback, Mudbase; no access found in the other systems checked. This confirms the removal of access, not the erasure of data the vendors hold.',
		});
	});

	it('is not complete when a system failed, and lists what to do', () => {
		const receipt = buildReceipt({
			requestId: 'req-2',
			receivedAt: new Date('2026-11-27T00:00:00Z'),
			completedAt: new Date('2026-11-27T00:00:01Z'),
			outcomes: [
				outcome('flashback', 'removed'),
				outcome(
					'ejento',
					'failed',
					'Ejento rejected the credential (401: x): check the token or API key',
				),
			],
		});
		expect(receipt.complete).toBe(false);
		expect(receipt.systems[0]).toMatchObject({
			status: 'failed',
			failures: ['Ejento rejected the credential (401: x): check the token or API key'],
		});
		expect(receipt.statement).toBe(
			'Not complete: Ejento failed (see its failures). This receipt must not be sent as confirmation.',
		);
	});

	it('names the systems it could not check, and why, when the subject has no id for them', () => {
		const receipt = buildReceipt({
			requestId: 'req-3',
			receivedAt: new Date('2026-11-27T00:00:00Z'),
			completedAt: new Date('2026-11-27T00:00:01Z'),
			outcomes: [
				outcome('flashback', 'removed'),
				outcome('ejento', 'not_found'),
				outcome('mudbase', 'skipped', 'row 1 has no mudbaseUserId: nothing to remove in Mudbase'),
				outcome(
					'productBridge',
					'skipped',
					'row 1 has no productBridgeUserId: nothing to remove in ProductBridge',
				),
			],
		});
		expect(receipt.complete).toBe(false);
		expect(receipt.systems.find((s) => s.system === 'mudbase')).toMatchObject({
			status: 'skipped',
			failures: [],
			skipped: ['row 1 has no mudbaseUserId: nothing to remove in Mudbase'],
			unconfirmed: [],
		});
		expect(receipt.statement).toBe(
			'Not complete: ProductBridge was not checked (row 1 has no productBridgeUserId: nothing to remove in ProductBridge); Mudbase was not checked (row 1 has no mudbaseUserId: nothing to remove in Mudbase). This receipt must not be sent as confirmation.',
		);
	});

	it('is not complete when a "not found" is unconfirmed (no scope evidence), and says what to check', () => {
		const unconfirmed: PairOutcome = {
			...outcome('ejento', 'not_found', 'not found — unconfirmed: …'),
			scope: { projectId: '2' },
			scopeUnconfirmed: true,
		};
		const receipt = buildReceipt({
			requestId: 'req-4',
			receivedAt: new Date('2027-01-31T10:00:00Z'),
			completedAt: new Date('2027-01-31T10:00:02Z'),
			outcomes: [outcome('flashback', 'removed'), unconfirmed],
		});
		expect(receipt.complete).toBe(false);
		expect(receipt.systems.map((s) => [s.system, s.status, s.unconfirmed])).toEqual([
			[
				'ejento',
				'no access found, unconfirmed',
				[
					'Ejento answers an unknown project exactly like a user without access (404 Record Not Found); check project 2',
				],
			],
			['flashback', 'access removed', []],
		]);
		expect(receipt.statement).toBe(
			'Not complete: Ejento no access found, unconfirmed (Ejento answers an unknown project exactly like a user without access (404 Record Not Found); check project 2). This receipt must not be sent as confirmation.',
		);
		// Removed in one project, unconfirmed in another: still not complete.
		const mixed = buildReceipt({
			requestId: 'req-5',
			receivedAt: new Date('2027-01-31T10:00:00Z'),
			completedAt: new Date('2027-01-31T10:00:02Z'),
			outcomes: [
				{ ...outcome('ejento', 'removed'), pairId: 'e1', scope: { projectId: '1' } },
				unconfirmed,
			],
		});
		expect(mixed.systems.map((s) => s.status)).toEqual(['access removed, partly unconfirmed']);
		expect(mixed.complete).toBe(false);
	});

	it('carries an HMAC of the normalised email under the installation key, never the email', () => {
		const receipt = buildReceipt({
			requestId: 'r',
			receivedAt: new Date(0),
			completedAt: new Date(0),
			outcomes: [outcome('flashback', 'removed')],
			email: ' Ann@X.io ',
			hmacKey: 'install-key',
		});
		expect(receipt.subjectHmac).toBe(emailHmac('ann@x.io', 'install-key'));
		expect(receipt.subjectHmac).toMatch(/^[0-9a-f]{64}$/);
		expect(receipt.subjectHmac).not.toBe(emailHmac('ann@x.io', 'other-key'));
		expect(JSON.stringify(receipt)).not.toContain('Ann@X.io');
		expect(JSON.stringify(receipt).toLowerCase()).not.toContain('ann@x.io');
	});
});
