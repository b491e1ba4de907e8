import { Planner } from '../../src/engine/plan';
import { scimSystem } from '../../src/systems/scim';
import { person, plan, summary, systemPlan } from '../support/plan';

describe('plan', () => {
	it('skips a system the row has no id for, and sends the others', async () => {
		const steps = await plan([person(1, { email: 'a@x.io', flashbackUserId: 'fb1' })], {
			systems: [systemPlan('flashback'), systemPlan('ejento')],
		});
		expect(summary(steps)).toEqual([
			[1, 'flashback', { workspaceId: 'ws1' }, 'fb1', 'send'],
			[1, 'ejento', { projectId: '151' }, '', 'skipped', 'missing_id'],
		]);
		expect(steps[1].kind === 'done' && steps[1].outcome.reason).toBe(
			'row 1 has no ejentoUserId: nothing to remove in Ejento',
		);
	});

	it('sends a duplicate once (ids trimmed, emails case-insensitive) and reports the rest', async () => {
		const steps = await plan(
			[
				person(1, { productAccessUser: 'Ann@X.io' }),
				person(2, { productAccessUser: ' ann@x.io ' }),
				person(3, { productAccessUser: 'u7' }),
				person(4, { productAccessUser: 'u7 ' }),
				person(5, { productAccessUser: 'U7' }), // ids are case-sensitive
			],
			{ systems: [systemPlan('productAccess')] },
		);
		expect(summary(steps).map((s) => [s[0], s[3], s[4], s[5]])).toEqual([
			[1, 'Ann@X.io', 'send', undefined],
			[2, 'ann@x.io', 'skipped', 'duplicate'],
			[3, 'u7', 'send', undefined],
			[4, 'u7', 'skipped', 'duplicate'],
			[5, 'U7', 'send', undefined],
		]);
		expect(steps[1].kind === 'done' && steps[1].outcome.reason).toBe(
			'duplicate of row 1 (same Product Access user and scope): sent once',
		);
	});

	it('counts a duplicate per scope: the same user in two workspaces is two pairs', async () => {
		const steps = await plan(
			[person(1, { flashbackUserId: 'fb1' }), person(2, { flashbackUserId: 'fb1' })],
			{
				systems: [systemPlan('flashback', { scopes: { workspaceId: { fixed: ['ws1', 'ws2'] } } })],
			},
		);
		expect(summary(steps).map((s) => [s[0], s[2], s[4]])).toEqual([
			[1, { workspaceId: 'ws1' }, 'send'],
			[1, { workspaceId: 'ws2' }, 'send'],
			[2, { workspaceId: 'ws1' }, 'skipped'],
			[2, { workspaceId: 'ws2' }, 'skipped'],
		]);
	});

	it('fans a list-valued scope out to one pair per scope, from a CSV cell or an item array', async () => {
		const mudbase = systemPlan('mudbase', {
			scopes: { projectId: { fixed: ['proj'] }, chatId: { field: 'chats' } },
		});
		const steps = await plan(
			[
				person(1, { mudbaseUserId: 'usr_1', chats: 'c1, c2 ,,c3' }),
				person(2, { mudbaseUserId: 'usr_2', chats: ['c9', 'c8'] }),
			],
			{ systems: [mudbase] },
		);
		expect(summary(steps).map((s) => [s[0], s[2].chatId, s[4]])).toEqual([
			[1, 'c1', 'send'],
			[1, 'c2', 'send'],
			[1, 'c3', 'send'],
			[2, 'c9', 'send'],
			[2, 'c8', 'send'],
		]);
	});

	it('fails a row whose scope field is empty, naming the column', async () => {
		const steps = await plan([person(3, { flashbackUserId: 'fb1', ws: '' })], {
			systems: [systemPlan('flashback', { scopes: { workspaceId: { field: 'ws' } } })],
		});
		expect(steps).toHaveLength(1);
		expect(steps[0].kind === 'done' && [steps[0].outcome.status, steps[0].outcome.reason]).toEqual([
			'failed',
			'row 3: no Flashback workspace id in column "ws"',
		]);
	});

	it("never removes a protected user: by id or email, in any case, or the credential's own account", async () => {
		const steps = await plan(
			[
				person(1, { email: 'CEO@x.io', flashbackUserId: 'fb1', mudbaseUserId: 'usr_1' }),
				person(2, { email: 'b@x.io', flashbackUserId: 'FB-ADMIN', mudbaseUserId: 'usr_admin' }),
				person(3, { email: 'c@x.io', flashbackUserId: 'fb3', mudbaseUserId: 'usr_3' }),
			],
			{
				systems: [systemPlan('flashback'), systemPlan('mudbase', { ownAccountIds: ['usr_admin'] })],
				protectedUsers: [' ceo@X.IO ', 'FB-ADMIN'],
			},
		);
		expect(summary(steps).map((s) => [s[0], s[1], s[4], s[5]])).toEqual([
			[1, 'flashback', 'skipped', 'protected'],
			[1, 'mudbase', 'skipped', 'protected'],
			[2, 'flashback', 'skipped', 'protected'],
			[2, 'mudbase', 'skipped', 'protected'],
			[3, 'flashback', 'send', undefined],
			[3, 'mudbase', 'send', undefined],
		]);
		const reasons = steps.map((s) => (s.kind === 'done' ? s.outcome.reason : ''));
		expect(reasons.slice(0, 4)).toEqual([
			'"ceo@x.io" is in Protected Users: not removed',
			'"ceo@x.io" is in Protected Users: not removed',
			'"FB-ADMIN" is in Protected Users: not removed',
			"the credential's own Mudbase account is never removed",
		]);
	});

	it("fails every pair of an unreadable row with the row's reason, and reads on", async () => {
		const steps = await plan(
			[
				person(1, {}, 'row 1 has more fields than the header (2): check its quotes and delimiters'),
				person(2, { email: 'not-an-email', flashbackUserId: 'fb2' }),
				person(3, { email: 'c@x.io', flashbackUserId: '..' }),
				person(4, { email: 'd@x.io', flashbackUserId: { id: 1 } }),
				person(5, { email: 'e@x.io', flashbackUserId: 'fb5' }),
			],
			{ systems: [systemPlan('flashback')] },
		);
		expect(
			steps.map((s) => (s.kind === 'done' ? [s.outcome.status, s.outcome.reason] : ['send'])),
		).toEqual([
			[
				'failed',
				'row 1: row 1 has more fields than the header (2): check its quotes and delimiters',
			],
			['failed', 'row 2: email "not-an-email" is not an email address'],
			['failed', 'row 3: Flashback user id ".." is not an id (it would change the path)'],
			['failed', 'row 4: flashbackUserId must be text or a number'],
			['send'],
		]);
	});

	it('a refused row still shows who it was: its email and user id as the row gave them', async () => {
		const steps = await plan(
			[
				person(2, { email: 'not-an-email', flashbackUserId: 'fb2' }),
				person(3, { email: 'c@x.io', flashbackUserId: '..' }),
				person(4, { email: 'x'.repeat(300), flashbackUserId: 'fb4' }),
			],
			{ systems: [systemPlan('flashback')] },
		);
		expect(
			steps.map((s) =>
				s.kind === 'done' ? [s.outcome.row, s.outcome.email, s.outcome.userId] : [],
			),
		).toEqual([
			[2, 'not-an-email', 'fb2'],
			[3, 'c@x.io', '..'],
			[4, `${'x'.repeat(200)}…`, 'fb4'],
		]);
	});

	it('reads field names case-insensitively and numbers as text', async () => {
		const steps = await plan([person(1, { EjentoUserID: 16, Email: 'a@x.io' })], {
			systems: [systemPlan('ejento')],
		});
		expect(summary(steps)).toEqual([[1, 'ejento', { projectId: '151' }, '16', 'send']]);
		expect(steps[0].kind === 'send' && steps[0].pair.email).toBe('a@x.io');
	});

	it('retries the failed and would_remove pairs of a report fed back, and skips the rest', async () => {
		const pair = (
			row: number,
			previousStatus: 'failed' | 'would_remove' | 'removed' | 'not_found' | 'skipped',
		) => ({
			kind: 'pair' as const,
			row,
			system: 'flashback' as const,
			scope: { workspaceId: 'ws1' },
			userId: `=fb${row}`,
			previousStatus,
		});
		const steps = await plan(
			[
				pair(1, 'failed'),
				pair(2, 'would_remove'),
				pair(3, 'removed'),
				pair(4, 'not_found'),
				pair(5, 'skipped'),
			],
			{
				systems: [systemPlan('flashback')],
			},
		);
		expect(summary(steps).map((s) => [s[0], s[3], s[4], s[5]])).toEqual([
			[1, '=fb1', 'send', undefined],
			[2, '=fb2', 'send', undefined],
			[3, '=fb3', 'skipped', 'already_done'],
			[4, '=fb4', 'skipped', 'already_done'],
			[5, '=fb5', 'skipped', 'already_done'],
		]);
	});

	it('gives exactly one step per (row, system, scope)', async () => {
		const rows = Array.from({ length: 50 }, (_, i) =>
			person(i + 1, {
				email: `p${i % 7}@x.io`,
				flashbackUserId: i % 5 === 0 ? '' : `fb${i % 11}`,
				ejentoUserId: i % 3 ? String(100 + (i % 13)) : 'x',
			}),
		);
		const steps = await plan(rows, {
			systems: [
				systemPlan('flashback', { scopes: { workspaceId: { fixed: ['a', 'b'] } } }),
				systemPlan('ejento'),
			],
		});
		const keys = summary(steps).map((s) => `${s[0]}|${s[1]}|${JSON.stringify(s[2])}`);
		expect(keys).toHaveLength(50 * 3);
		expect(new Set(keys).size).toBe(50 * 3);
	});
});

describe('plan: where values are read (column settings)', () => {
	it('reads the email and ids from mapped fields, and counts per system the rows with an id', async () => {
		const config = {
			systems: [
				systemPlan('flashback', { userId: { field: 'Flashback ID' } }),
				systemPlan('ejento', {
					userId: { given: 'value of the "Ejento User ID Column" expression' },
				}),
			],
			email: { field: 'Work Email' },
			protectedUsers: ['b@x.io'],
		};
		const rows = [
			{
				...person(1, { ' work  EMAIL': 'a@x.io', 'flashback id': 'fb1' }),
				given: { ejento: { userId: 7 } },
			},
			{
				...person(2, { 'Work Email': 'B@x.io', 'Flashback ID': 'fb2' }),
				given: { ejento: { userId: undefined } },
			},
			{ ...person(3, { 'Work Email': 'not an email', 'Flashback ID': 'fb3' }) },
			{ ...person(4, { 'Work Email': 'd@x.io', 'Flashback ID': { id: 1 } }) },
		];
		const planner = new Planner(config);
		const steps = rows.flatMap((row) => [...planner.steps(row)]);
		expect(summary(steps)).toEqual([
			[1, 'flashback', { workspaceId: 'ws1' }, 'fb1', 'send'],
			[1, 'ejento', { projectId: '151' }, '7', 'send'],
			[2, 'flashback', { workspaceId: 'ws1' }, 'fb2', 'skipped', 'protected'],
			[2, 'ejento', { projectId: '151' }, '', 'skipped', 'missing_id'],
			[3, 'flashback', { workspaceId: 'ws1' }, 'fb3', 'failed', 'invalid_input'],
			[3, 'ejento', { projectId: '151' }, '', 'failed', 'invalid_input'],
			[4, 'flashback', { workspaceId: 'ws1' }, '', 'failed', 'invalid_input'],
			[4, 'ejento', { projectId: '151' }, '', 'skipped', 'missing_id'],
		]);
		const reasons = steps.map((s) => (s.kind === 'done' ? s.outcome.reason : ''));
		expect(reasons[3]).toBe(
			'row 2 has no value of the "Ejento User ID Column" expression: nothing to remove in Ejento',
		);
		expect(reasons[4]).toBe('row 3: email "not an email" is not an email address');
		expect(reasons[6]).toBe('row 4: Flashback ID must be text or a number');
		expect(steps[0].kind === 'send' && steps[0].pair.email).toBe('a@x.io');
		expect(planner.userIds()).toEqual({
			flashback: { field: 'Flashback ID', withId: 2, missingId: 0, unreadable: 2 },
			ejento: {
				given: 'value of the "Ejento User ID Column" expression',
				withId: 1,
				missingId: 2,
				unreadable: 1,
			},
		});
	});

	it('reads the email given per row by an expression', async () => {
		const steps = await plan(
			[{ ...person(1, { flashbackUserId: 'fb1', email: 'wrong@x.io' }), givenEmail: 'given@x.io' }],
			{
				systems: [systemPlan('flashback')],
				email: { given: 'value of the "Email Column" expression' },
				protectedUsers: ['given@x.io'],
			},
		);
		expect(summary(steps)).toEqual([
			[1, 'flashback', { workspaceId: 'ws1' }, 'fb1', 'skipped', 'protected'],
		]);
		expect(steps[0].kind === 'done' && steps[0].outcome.email).toBe('given@x.io');
	});

	it('finds a SCIM user by the mapped email column, whatever its own id source says', async () => {
		const scim = {
			system: scimSystem({ action: 'deactivate', findBy: 'email' }, 'Slack'),
			baseUrl: 'https://scim.test',
			scopes: {},
			userId: { field: 'scimUserId' },
		};
		const steps = await plan(
			[
				person(1, { 'Work Email': 'ann@x.io', scimUserId: 'id-1' }),
				person(2, { scimUserId: 'id-2' }),
			],
			{ systems: [scim], email: { field: 'Work Email' } },
		);
		expect(summary(steps)).toEqual([
			[1, 'scim', {}, 'ann@x.io', 'send'],
			[2, 'scim', {}, '', 'skipped', 'missing_id'],
		]);
		expect(steps[1].kind === 'done' && steps[1].outcome.reason).toBe(
			'row 2 has no Work Email: nothing to remove in Slack',
		);
	});

	it('reads a list of scopes given per row by an expression (array or separated text)', async () => {
		const flashback = systemPlan('flashback', {
			scopes: { workspaceId: { given: true, list: true, label: 'value of the "X" expression' } },
		});
		const steps = await plan(
			[
				{
					...person(1, { flashbackUserId: 'fb1' }),
					given: { flashback: { scopes: { workspaceId: ['w1', 'w2'] } } },
				},
				{
					...person(2, { flashbackUserId: 'fb2' }),
					given: { flashback: { scopes: { workspaceId: 'w3, w4' } } },
				},
				{ ...person(3, { flashbackUserId: 'fb3' }), given: { flashback: { scopes: {} } } },
			],
			{ systems: [flashback] },
		);
		expect(summary(steps)).toEqual([
			[1, 'flashback', { workspaceId: 'w1' }, 'fb1', 'send'],
			[1, 'flashback', { workspaceId: 'w2' }, 'fb1', 'send'],
			[2, 'flashback', { workspaceId: 'w3' }, 'fb2', 'send'],
			[2, 'flashback', { workspaceId: 'w4' }, 'fb2', 'send'],
			[3, 'flashback', {}, 'fb3', 'failed', 'invalid_input'],
		]);
		expect(steps[4].kind === 'done' && steps[4].outcome.reason).toBe(
			'row 3: no Flashback workspace id given (value of the "X" expression)',
		);
	});
});
