/** The five per-system nodes (User → Remove) through WorkflowExecute against their emulators. */
import type { INodeType } from 'n8n-workflow';
import { Ejento } from '../../nodes/Ejento/Ejento.node';
import { Flashback } from '../../nodes/Flashback/Flashback.node';
import { Mudbase } from '../../nodes/Mudbase/Mudbase.node';
import { OffboardUsers } from '../../nodes/OffboardUsers/OffboardUsers.node';
import { ProductAccess } from '../../nodes/ProductAccess/ProductAccess.node';
import { ProductBridge } from '../../nodes/ProductBridge/ProductBridge.node';
import { processLimiters } from '../../src/engine/limiter';
import { SYSTEMS, type SeedSystemId } from '../../src/systems';
import { CREDENTIAL_TYPES as CREDENTIAL_TYPES_BY_SYSTEM } from '../../src/n8n/systems';
import { DEMO_SCOPES, demoPerson, type Sandbox, startSandbox } from '../../sandbox';
import { runNode } from '../support/n8n';
import { CREDENTIAL_TYPES, sandboxCredentials } from '../support/n8nSandbox';

let sandbox: Sandbox;
beforeEach(async () => {
	processLimiters.clear();
	sandbox = await startSandbox();
});
afterEach(async () => {
	await sandbox.close();
});

const NODES: Record<SeedSystemId, () => INodeType> = {
	productAccess: () => new ProductAccess(),
	productBridge: () => new ProductBridge(),
	ejento: () => new Ejento(),
	flashback: () => new Flashback(),
	mudbase: () => new Mudbase(),
};
/** A wrong scope, and what the system makes of it. */
const WRONG_SCOPE: Partial<Record<SeedSystemId, [Record<string, string>, string]>> = {
	productAccess: [{ productId: 'prod_typo' }, 'failed'],
	ejento: [{ projectId: '999' }, 'not_found'], // documented: Ejento cannot tell (404 Record Not Found)
	flashback: [{ workspaceId: 'ws_typo' }, 'failed'],
	mudbase: [{ projectId: 'proj_demo', chatId: 'chat_typo' }, 'failed'],
};

async function remove(
	system: SeedSystemId,
	userIds: string[],
	scope: Record<string, string> = DEMO_SCOPES[system],
	options = {},
	credentialOverride = {},
	typeSuffix = '',
) {
	const credentials = sandboxCredentials(sandbox);
	Object.assign(credentials[CREDENTIAL_TYPES_BY_SYSTEM[system]], credentialOverride);
	const nodeType = NODES[system]();
	if (typeSuffix)
		nodeType.description = {
			...nodeType.description,
			name: `${nodeType.description.name}${typeSuffix}`,
		};
	return runNode({
		nodeType,
		credentialTypes: CREDENTIAL_TYPES,
		credentials: {
			[CREDENTIAL_TYPES_BY_SYSTEM[system]]: credentials[CREDENTIAL_TYPES_BY_SYSTEM[system]],
		},
		items: userIds.map((userId) => ({ json: { userId } })),
		parameters: {
			resource: 'user',
			operation: 'remove',
			...scope,
			userId: '={{ $json.userId }}',
			options,
		} as never,
	});
}

describe.each(Object.keys(NODES) as SeedSystemId[])('%s node', (system) => {
	const people = [demoPerson(1), demoPerson(2)];
	const ids = people.map((p) => p[SYSTEMS[system].userIdField as keyof typeof p]);

	it("removes each item's user, then reports not_found", async () => {
		for (const person of people) sandbox.addPerson(person);
		const first = await remove(system, ids);
		expect(first.outputs[0].map((i) => [i.json.userId, i.json.status, i.pairedItem])).toEqual([
			[ids[0], 'removed', { item: 0 }],
			[ids[1], 'removed', { item: 1 }],
		]);
		expect(ids.map((id) => sandbox.isDemoMember(system, id))).toEqual([false, false]);
		const again = await remove(system, ids);
		expect(again.outputs[0].map((i) => i.json.status)).toEqual(['not_found', 'not_found']);
	});

	it('fails a rejected credential with one request and a clear reason', async () => {
		for (const person of people) sandbox.addPerson(person);
		const wrong =
			system === 'productBridge'
				? { apiKey: 'pb_wrong' }
				: system === 'mudbase'
					? { password: 'wrong-password' }
					: { token: 'wrong-token' };
		const { outputs, run } = await remove(system, ids, DEMO_SCOPES[system], {}, wrong);
		expect(run.data.resultData.error).toBeUndefined();
		expect(outputs[0].map((i) => i.json.status)).toEqual(['failed', 'failed']);
		expect(ids.map((id) => sandbox.isDemoMember(system, id))).toEqual([true, true]);
		// One request, then the circuit: Mudbase's login is refused before any removal is sent.
		expect(sandbox[system].removalRequests()).toHaveLength(system === 'mudbase' ? 0 : 1);
		expect(String(outputs[0][1].json.reason)).toMatch(/paused/);
		if (system === 'mudbase') {
			expect(outputs[0][0].json.reason).toBe(
				"Mudbase refused the credential's login (401: Invalid email or password): check the email and password",
			);
			// One request from us; n8n 2.40.7 itself logs in twice for it (its first login's 401
			// triggers its own refresh). A refused login opens the circuit: no third or fourth login.
			expect(sandbox.mudbase.requests.filter((r) => r.rawUrl.endsWith('/login'))).toHaveLength(2);
		}
		expect(JSON.stringify(run)).not.toContain('wrong-password');
	});

	const wrongScope = WRONG_SCOPE[system];
	if (wrongScope) {
		it(`answers a wrong scope with ${wrongScope[1]}, never touching the user`, async () => {
			for (const person of people) sandbox.addPerson(person);
			const { outputs } = await remove(system, ids, wrongScope[0]);
			expect(outputs[0].map((i) => i.json.status)).toEqual([wrongScope[1], wrongScope[1]]);
			expect(ids.map((id) => sandbox.isDemoMember(system, id))).toEqual([true, true]);
		});
	}
});

describe('a per-system node whose User is empty', () => {
	it('skips that item, saying the User parameter gave nothing, and warns when no item had one', async () => {
		const { outputs, run } = await remove('flashback', ['', ' ']);
		expect(outputs[0].map((i) => [i.json.status, i.json.reason])).toEqual([
			['skipped', 'row 1 has no value for the User parameter: nothing to remove in Flashback'],
			['skipped', 'row 2 has no value for the User parameter: nothing to remove in Flashback'],
		]);
		const hints = run.data.resultData.runData['Node under test'][0].hints ?? [];
		expect(hints.map((h) => [h.type, h.message])).toEqual([
			[
				'warning',
				'Flashback: none of the 2 rows has a user id from the value for the User parameter: nothing was sent there. Check what gives it.',
			],
		]);
		expect(sandbox.flashback.requests).toHaveLength(0);
	});
});

describe('the run-level refusals of the shared run path (src/n8n/run.ts), on a per-system node', () => {
	const people = [demoPerson(1), demoPerson(2)];

	it('refuses a pasted Mudbase JWT that has expired, before any call', async () => {
		for (const person of people) sandbox.addPerson(person);
		const expired = await sandbox.mudbase.issueToken('usr_admin', 'admin@sandbox.test', -60);
		const { run, outputs } = await remove(
			'mudbase',
			people.map((p) => p.mudbaseUserId),
			DEMO_SCOPES.mudbase,
			{},
			{ mode: 'token', token: expired },
		);
		expect(run.data.resultData.error?.message).toMatch(
			/^The pasted Mudbase JWT expired at \d{4}-\d\d-\d\dT[\d:.]+Z: nothing was sent\. Paste a fresh token or use log-in mode\.$/,
		);
		expect(outputs).toEqual([]);
		expect(sandbox.mudbase.removalRequests()).toHaveLength(0);
		expect(people.map((p) => sandbox.isDemoMember('mudbase', p.mudbaseUserId))).toEqual([
			true,
			true,
		]);
	});

	it('refuses a pasted JWT that expires before the batch can be sent at the starting rate', async () => {
		const many = Array.from({ length: 12 }, (_, i) => demoPerson(i + 1));
		for (const person of many) sandbox.addPerson(person);
		// 12 removals at a starting rate of 1/s need about 12 s; the token has 5 s left.
		const token = await sandbox.mudbase.issueToken('usr_admin', 'admin@sandbox.test', 5);
		const credentials = sandboxCredentials(sandbox);
		const { run } = await runNode({
			nodeType: new OffboardUsers(),
			credentialTypes: CREDENTIAL_TYPES,
			credentials: { mudbaseApi: { ...credentials.mudbaseApi, mode: 'token', token } },
			items: many.map((p) => ({ json: { mudbaseUserId: p.mudbaseUserId } })),
			parameters: {
				systems: ['mudbase'],
				inputSource: 'items',
				mudbaseProjectIdSource: 'fixed',
				mudbaseProjectIdValues: DEMO_SCOPES.mudbase.projectId,
				mudbaseChatIdSource: 'fixed',
				mudbaseChatIdValues: DEMO_SCOPES.mudbase.chatId,
				outputMode: 'perResult',
				options: {
					systemLimits: {
						limit: [
							{
								system: 'mudbase',
								ratePerSecond: 1,
								maxRatePerSecond: 1,
								maxConcurrency: 0,
								maxAttempts: 3,
								maxRetryAfterSeconds: 60,
								requestTimeoutSeconds: 30,
							},
						],
					},
				},
			} as never,
		});
		expect(run.data.resultData.error?.message).toMatch(
			/^The pasted Mudbase JWT expires at \d{4}-[\dT:.-]+Z, before this run can finish \(about 12 s for 12 removals at the starting rate of 1\/s\): nothing was sent\. Paste a fresh token or use log-in mode\.$/,
		);
		expect(sandbox.mudbase.removalRequests()).toHaveLength(0);
	});

	it('refuses a run above the deletion threshold (default 500) on a per-system node too', async () => {
		const ids = Array.from({ length: 501 }, (_, i) => `fb_user_${i + 1}`);
		const { run } = await remove('flashback', ids);
		expect(run.data.resultData.error?.message).toBe(
			'This run would send 501 removals (501 people, one removal per person, system and scope), above the deletion threshold of 500: nothing was sent. Check the input, then raise the threshold or split the batch.',
		);
		expect(sandbox.flashback.removalRequests()).toHaveLength(0);
	});

	it('takes a scope parameter as one id: a list is never split into several removals', async () => {
		sandbox.addPerson(people[0]);
		const { outputs } = await remove('flashback', [people[0].flashbackUserId], {
			workspaceId: `${DEMO_SCOPES.flashback.workspaceId},ws_other`,
		});
		expect(outputs[0].map((i) => [i.json.status, i.json.scope])).toEqual([
			['failed', { workspaceId: `${DEMO_SCOPES.flashback.workspaceId},ws_other` }],
		]);
		// Sent once, as one (unknown) workspace id: the vendor answers for that one id.
		expect(sandbox.flashback.removalRequests().map((r) => r.rawUrl)).toEqual([
			`/workspace/${DEMO_SCOPES.flashback.workspaceId}%2Cws_other/users/${people[0].flashbackUserId}`,
		]);
		expect(sandbox.isDemoMember('flashback', people[0].flashbackUserId)).toBe(true);
	});
});

describe('as an AI tool', () => {
	it('refuses, before any call, removals beyond the budget per credential per hour', async () => {
		const people = [1, 2, 3, 4].map((n) => demoPerson(n));
		for (const person of people) sandbox.addPerson(person);
		const ids = people.map((p) => p.flashbackUserId);
		const first = await remove(
			'flashback',
			ids.slice(0, 2),
			DEMO_SCOPES.flashback,
			{ toolBudgetPerHour: 3 },
			{},
			'Tool',
		);
		expect(first.outputs[0].map((i) => i.json.status)).toEqual(['removed', 'removed']);
		const second = await remove(
			'flashback',
			ids.slice(2),
			DEMO_SCOPES.flashback,
			{ toolBudgetPerHour: 3 },
			{},
			'Tool',
		);
		expect(second.run.data.resultData.error?.message).toMatch(
			/^Tool removal budget reached: 2 of 3 removals used in the last hour with this credential \(this call asks for 2\)\. Nothing was sent;/,
		);
		expect(sandbox.flashback.removalRequests()).toHaveLength(2);
		expect(ids.slice(2).map((id) => sandbox.isDemoMember('flashback', id))).toEqual([true, true]);
	});

	it('is offered for the per-system nodes only, never for the batch node', () => {
		expect(new OffboardUsers().description.usableAsTool).toBeUndefined();
		for (const make of Object.values(NODES)) {
			const { description } = make();
			expect(description.usableAsTool).toBe(true);
			expect(description.description).toMatch(/irreversible/);
		}
	});
});
