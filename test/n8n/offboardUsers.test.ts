/**
 * Offboard Users through n8n-core's WorkflowExecute, over HTTP to the sandbox: credentials applied
 * by a helper that behaves like n8n 2.40.7's, ground truth from the emulators.
 */
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';
import { OffboardUsers } from '../../nodes/OffboardUsers/OffboardUsers.node';
import { processLimiters } from '../../src/engine/limiter';
import {
	demoPerson,
	type DemoPerson,
	type Sandbox,
	startSandbox,
	USER_ID_FIELD,
} from '../../sandbox';
import { addCalendarMonths, type GdprReceipt } from '../../src/receipt';
import { recordReliability } from '../support/reliability';
import { runNode } from '../support/n8n';
import {
	CREDENTIAL_TYPES,
	DEMO_SECRETS,
	offboardParameters,
	sandboxCredentials,
} from '../support/n8nSandbox';

let sandbox: Sandbox;
beforeEach(async () => {
	processLimiters.clear(); // learned limits and open circuits live for the process: not across tests
	sandbox = await startSandbox();
});
afterEach(async () => {
	await sandbox.close();
});

function itemsFor(people: Array<Partial<DemoPerson>>): INodeExecutionData[] {
	return people.map((person) => ({ json: { ...person } as IDataObject }));
}

async function offboardUsers(
	people: Array<Partial<DemoPerson>>,
	parameters: Record<string, unknown> = {},
	settings = {},
) {
	return runNode({
		nodeType: new OffboardUsers(),
		credentialTypes: CREDENTIAL_TYPES,
		credentials: sandboxCredentials(sandbox),
		items: itemsFor(people),
		parameters: offboardParameters(parameters) as never,
		settings,
	});
}

function statusCounts(items: INodeExecutionData[]): Record<string, number> {
	const out: Record<string, number> = {};
	for (const item of items) {
		const key = `${String(item.json.system)}:${String(item.json.status)}`;
		out[key] = (out[key] ?? 0) + 1;
	}
	return out;
}

function removalRequests(): number {
	return (['productAccess', 'productBridge', 'ejento', 'flashback', 'mudbase'] as const).reduce(
		(n, s) => n + sandbox[s].removalRequests().length,
		0,
	);
}

const people = Array.from({ length: 3 }, (_, i) => demoPerson(i + 1));

describe('Offboard Users in WorkflowExecute', () => {
	it('removes each person from all five systems, one item per result, paired to its input item', async () => {
		for (const person of people) sandbox.addPerson(person);
		const { outputs, run } = await offboardUsers(people);
		expect(run.data.resultData.error).toBeUndefined();
		const items = outputs[0];
		expect(items).toHaveLength(15);
		expect(statusCounts(items)).toEqual({
			'productAccess:removed': 3,
			'productBridge:removed': 3,
			'ejento:removed': 3,
			'flashback:removed': 3,
			'mudbase:removed': 3,
		});
		expect(items.map((i) => [i.json.email, i.pairedItem])).toEqual(
			people.flatMap((p, index) => Array(5).fill([p.email, { item: index }])),
		);
		// In input order whatever order the answers came in: by row, then the systems as selected.
		expect(items.map((i) => `${String(i.json.row)}:${String(i.json.system)}`)).toEqual(
			[1, 2, 3].flatMap((row) =>
				['productAccess', 'productBridge', 'ejento', 'flashback', 'mudbase'].map(
					(system) => `${row}:${system}`,
				),
			),
		);
		for (const person of people) {
			expect(sandbox.flashback.isMember('ws_demo', person.flashbackUserId)).toBe(false);
			expect(sandbox.mudbase.isParticipant('proj_demo', 'chat_general', person.mudbaseUserId)).toBe(
				false,
			);
			expect(sandbox.productBridge.isMember(person.productBridgeUserId)).toBe(false);
		}
		expect(items[0].json).toMatchObject({
			row: 1,
			system: 'productAccess',
			scope: { productId: 'prod_demo' },
			userId: 'pa_user_1',
			status: 'removed',
			httpStatus: 200,
			attempts: 1,
			reason: 'Product Access confirmed the removal (200)',
		});
		expect(items[0].error).toBeUndefined();
	});

	it('answers each erasure request with its GDPR receipt: per system, complete only when done everywhere', async () => {
		const [ann, bob] = people;
		sandbox.addPerson(ann);
		sandbox.addPerson(bob);
		const bobWithoutMudbase: Partial<DemoPerson> = { ...bob };
		delete bobWithoutMudbase.mudbaseUserId;
		const before = Date.now();
		const { outputs, run } = await offboardUsers(
			[
				{ ...ann, requestId: 'REQ-1' } as Partial<DemoPerson>,
				{ ...bobWithoutMudbase, requestId: 'REQ-2' } as Partial<DemoPerson>,
			],
			{ outputMode: 'receipt', requestId: '={{ $json.requestId }}' },
		);
		expect(run.data.resultData.error).toBeUndefined();
		const receipts = outputs[0];
		expect(receipts.map((r) => [r.json.requestId, r.json.complete, r.pairedItem])).toEqual([
			['REQ-1', true, { item: 0 }],
			['REQ-2', false, { item: 1 }],
		]);
		const first = receipts[0].json as unknown as GdprReceipt;
		expect(first.systems.map((s) => [s.system, s.status, s.counts.removed])).toEqual([
			['productAccess', 'access removed', 1],
			['productBridge', 'access removed', 1],
			['ejento', 'access removed', 1],
			['flashback', 'access removed', 1],
			['mudbase', 'access removed', 1],
		]);
		expect(Date.parse(first.receivedAt)).toBeGreaterThanOrEqual(before);
		expect(first.dueBy).toBe(addCalendarMonths(new Date(first.receivedAt), 1).toISOString());
		expect(first.statement).toBe(
			'Access removed from Product Access, ProductBridge, Ejento, Flashback, Mudbase; no access found in the other systems checked. This confirms the removal of access, not the erasure of data the vendors hold.',
		);
		const second = receipts[1].json as unknown as GdprReceipt;
		expect(second.systems.find((s) => s.system === 'mudbase')?.status).toBe('skipped');
		expect(sandbox.flashback.isMember('ws_demo', bob.flashbackUserId)).toBe(false);
		expect(sandbox.mudbase.isParticipant('proj_demo', 'chat_general', bob.mudbaseUserId)).toBe(
			true,
		);
	});

	it('answers "no access found" only in an Ejento project known to exist: a typo gives an incomplete receipt', async () => {
		const [ann, bob] = people;
		sandbox.addPerson(ann);
		// Bob never had access anywhere; his receipt is asked for first, before any removal.
		const request = (requestId: string, person: DemoPerson, projectId: string) =>
			offboardUsers([{ ...person, requestId } as Partial<DemoPerson>], {
				systems: ['ejento'],
				ejentoProjectIdValues: projectId,
				outputMode: 'receipt',
				requestId: '={{ $json.requestId }}',
			});
		const unknown = await request('REQ-typo', bob, '2');
		const typo = unknown.outputs[0][0].json as unknown as GdprReceipt;
		expect(typo.complete).toBe(false);
		expect(typo.systems.map((s) => [s.status, s.counts.not_found, s.unconfirmed])).toEqual([
			[
				'no access found, unconfirmed',
				1,
				[
					'Ejento answers an unknown project exactly like a user without access (404 Record Not Found); check project 2',
				],
			],
		]);
		expect(typo.statement).toBe(
			'Not complete: Ejento no access found, unconfirmed (Ejento answers an unknown project exactly like a user without access (404 Record Not Found); check project 2). This receipt must not be sent as confirmation.',
		);
		// Project 151 before any removal there: unconfirmed too.
		const first = (await request('REQ-b1', bob, '151')).outputs[0][0]
			.json as unknown as GdprReceipt;
		expect([first.complete, first.systems[0].status]).toEqual([
			false,
			'no access found, unconfirmed',
		]);
		// Ann is removed from project 151: that removal is the project's evidence…
		const annReceipt = (await request('REQ-a', ann, '151')).outputs[0][0]
			.json as unknown as GdprReceipt;
		expect([annReceipt.complete, annReceipt.systems[0].status]).toEqual([true, 'access removed']);
		// …so Bob's "not found" there is now a confirmed "no access found".
		const second = (await request('REQ-b2', bob, '151')).outputs[0][0]
			.json as unknown as GdprReceipt;
		expect([second.complete, second.systems[0].status, second.systems[0].unconfirmed]).toEqual([
			true,
			'no access found',
			[],
		]);
		// Evidence is per project: project 2 is still unconfirmed.
		const again = (await request('REQ-typo2', bob, '2')).outputs[0][0]
			.json as unknown as GdprReceipt;
		recordReliability({
			table: 'GDPR receipt',
			case: 'node: Ejento project typo (2) for a subject without access; then project 151 before and after a removal there',
			expected:
				'typo: complete false, "no access found, unconfirmed" + what to check · 151 without evidence: complete false · after a removal in 151: complete true, "no access found" · typo again: complete false',
			observed: `typo: complete ${typo.complete}, "${typo.systems[0].status}", "${typo.systems[0].unconfirmed[0]}" · 151 before: complete ${first.complete} · after: complete ${second.complete}, "${second.systems[0].status}" · typo again: complete ${again.complete}`,
		});
		expect(again.complete).toBe(false);
		expect(sandbox.ejento.removalRequests()).toHaveLength(5);
	});

	it('refuses a GDPR receipt for CSV input, before any call', async () => {
		sandbox.addPerson(people[0]);
		const { run } = await offboardUsers([people[0]], { outputMode: 'receipt', inputSource: 'csv' });
		expect(run.data.resultData.error?.message).toBe(
			'A GDPR receipt answers one request per incoming item: set Input to Incoming Items',
		);
		expect(removalRequests()).toBe(0);
	});

	it('sends no DELETE for Protected Users, however their email or id is cased or spaced', async () => {
		for (const person of people) sandbox.addPerson(person);
		const { outputs } = await offboardUsers(people, {
			options: {
				// person1 by email (other case, spaces), person2 by its Flashback id (other case).
				protectedUsers: '  PERSON1@Example.COM ;\n FB_USER_2',
			},
		});
		expect(statusCounts(outputs[0])).toEqual({
			'productAccess:removed': 2,
			'productAccess:skipped': 1,
			'productBridge:removed': 2,
			'productBridge:skipped': 1,
			'ejento:removed': 2,
			'ejento:skipped': 1,
			'flashback:removed': 1,
			'flashback:skipped': 2,
			'mudbase:removed': 2,
			'mudbase:skipped': 1,
		});
		// Ground truth: nothing was sent for person1 anywhere, nor for person2 in Flashback.
		for (const system of [
			'productAccess',
			'productBridge',
			'ejento',
			'flashback',
			'mudbase',
		] as const) {
			const sent = sandbox[system]
				.removalRequests()
				.map((r) => decodeURIComponent(r.rawUrl) + r.body);
			expect(sent.filter((r) => r.includes(people[0][USER_ID_FIELD[system]]))).toEqual([]);
		}
		expect(sandbox.flashback.isMember('ws_demo', 'fb_user_2')).toBe(true);
		expect(sandbox.ejento.removalRequests()).toHaveLength(2);
		expect(sandbox.flashback.removalRequests()).toHaveLength(1);
	});

	it('reports not_found for people already gone, and warns per system', async () => {
		const { outputs, run } = await offboardUsers(people);
		expect(statusCounts(outputs[0])).toEqual({
			'productAccess:not_found': 3,
			'productBridge:not_found': 3,
			'ejento:not_found': 3,
			'flashback:not_found': 3,
			'mudbase:not_found': 3,
		});
		const hints = run.data.resultData.runData['Node under test'][0].hints ?? [];
		expect(hints.map((h) => h.message)).toContain(
			'Flashback: all 3 users were not found. Check the base URL and scope ids before reading this as done: a typo looks exactly like this.',
		);
	});

	it('fails a wrong scope per row with item.error, never throwing under the default On Error', async () => {
		for (const person of people) sandbox.addPerson(person);
		const { outputs, run } = await offboardUsers(people, {
			systems: ['flashback', 'ejento'],
			flashbackWorkspaceIdValues: 'ws_typo',
		});
		expect(run.data.resultData.error).toBeUndefined();
		expect(statusCounts(outputs[0])).toEqual({ 'flashback:failed': 3, 'ejento:removed': 3 });
		const failed = outputs[0].filter((i) => i.json.status === 'failed');
		expect(failed.map((i) => [i.json.userId, i.pairedItem, i.error])).toEqual([
			['fb_user_1', { item: 0 }, undefined],
			['fb_user_2', { item: 1 }, undefined],
			['fb_user_3', { item: 2 }, undefined],
		]);
		expect(failed[0].json.reason).toBe(
			"Flashback answered 403: Insufficient permissions to manage workspace users: the credential's account must be ADMIN of the workspace; also check the workspace id",
		);
	});

	it('routes failures to the error output under On Error "continue (using error output)"', async () => {
		for (const person of people) sandbox.addPerson(person);
		const { outputs } = await offboardUsers(
			people,
			{ systems: ['flashback', 'ejento'], flashbackWorkspaceIdValues: 'ws_typo' },
			{ onError: 'continueErrorOutput' },
		);
		expect(statusCounts(outputs[0])).toEqual({ 'ejento:removed': 3 });
		// n8n 2.40 keeps only the error message of an error-output item: it names row, user and system.
		expect(outputs[1].map((i) => [i.json, i.pairedItem])).toEqual(
			people.map((p, index) => [
				{
					// The first 403 opens the circuit: the other rows fail fast with the same reason.
					error: `Row ${index + 1} (${p.email} / ${p.flashbackUserId}), Flashback ws_typo: ${index === 0 ? '' : 'Flashback is paused: '}Flashback answered 403: Insufficient permissions to manage workspace users: the credential's account must be ADMIN of the workspace; also check the workspace id`,
				},
				{ item: index },
			]),
		);
		expect(outputs[1].every((i) => i.error?.name === 'NodeApiError')).toBe(true);
	});

	it('fails a bad credential with one reason and leaves the other systems alone', async () => {
		for (const person of people) sandbox.addPerson(person);
		const credentials = sandboxCredentials(sandbox);
		credentials.productAccessApi.token = 'wrong-token';
		const { outputs } = await runNode({
			nodeType: new OffboardUsers(),
			credentialTypes: CREDENTIAL_TYPES,
			credentials,
			items: itemsFor(people),
			parameters: offboardParameters({ systems: ['productAccess', 'flashback'] }) as never,
		});
		expect(statusCounts(outputs[0])).toEqual({ 'productAccess:failed': 3, 'flashback:removed': 3 });
		expect(sandbox.productAccess.removalRequests()).toHaveLength(1);
	});

	it('dry run sends nothing and shows each request with the credential redacted', async () => {
		for (const person of people) sandbox.addPerson(person);
		const { outputs } = await offboardUsers(people, { options: { dryRun: true } });
		expect(removalRequests()).toBe(0);
		expect(sandbox.mudbase.loginCount).toBe(0);
		expect(statusCounts(outputs[0])).toEqual({
			'productAccess:would_remove': 3,
			'productBridge:would_remove': 3,
			'ejento:would_remove': 3,
			'flashback:would_remove': 3,
			'mudbase:would_remove': 3,
		});
		expect(outputs[0][1].json.request).toEqual({
			method: 'POST',
			url: `${sandbox.baseUrls.productBridge}/api/external/v1/users/delete`,
			headers: {},
			body: { user_id: people[0].productBridgeUserId, api_key: '[redacted]' },
		});
	});

	it('refuses a run above the deletion threshold before any call', async () => {
		for (const person of people) sandbox.addPerson(person);
		const { run, outputs } = await offboardUsers(people, { options: { deletionThreshold: 10 } });
		expect(run.data.resultData.error?.message).toBe(
			'This run would send 15 removals (3 people, one removal per person, system and scope), above the deletion threshold of 10: nothing was sent. Check the input, then raise the threshold or split the batch.',
		);
		expect(outputs).toEqual([]);
		expect(removalRequests()).toBe(0);
	});

	it('refreshes the Mudbase JWT when it expires mid-batch: one login per expiry', async () => {
		const many = Array.from({ length: 30 }, (_, i) => demoPerson(100 + i));
		for (const person of many) sandbox.addPerson(person);
		sandbox.mudbase.tokenTtlSeconds = 1;
		const started = Date.now();
		const { outputs } = await offboardUsers(many, {
			systems: ['mudbase'],
			options: {
				systemLimits: {
					limit: [
						{
							system: 'mudbase',
							maxConcurrency: 4,
							ratePerSecond: 12,
							// A fixed pace: 30 removals outlast a 1 s token.
							maxRatePerSecond: 12,
							maxAttempts: 5,
							maxRetryAfterSeconds: 60,
							requestTimeoutSeconds: 5,
						},
					],
				},
			},
		});
		const seconds = (Date.now() - started) / 1000;
		expect(statusCounts(outputs[0])).toEqual({ 'mudbase:removed': 30 });
		expect(sandbox.mudbase.loginCount).toBeGreaterThanOrEqual(2);
		expect(sandbox.mudbase.loginCount).toBeLessThanOrEqual(Math.ceil(seconds) + 1);
	});

	it('refuses a pasted Mudbase JWT that has expired, before any call', async () => {
		for (const person of people) sandbox.addPerson(person);
		const expired = await sandbox.mudbase.issueToken('usr_admin', 'admin@sandbox.test', -60);
		const credentials = sandboxCredentials(sandbox);
		Object.assign(credentials.mudbaseApi, { mode: 'token', token: expired });
		const { run } = await runNode({
			nodeType: new OffboardUsers(),
			credentialTypes: CREDENTIAL_TYPES,
			credentials,
			items: itemsFor(people),
			parameters: offboardParameters({ systems: ['flashback', 'mudbase'] }) as never,
		});
		recordReliability({
			table: 'Auth',
			case: 'node: a pasted Mudbase JWT that expired a minute ago',
			expected: 'run refused before any call · 0 removal requests (Flashback included)',
			observed: `${run.data.resultData.error ? `refused: "${run.data.resultData.error.message.slice(0, 70)}…"` : 'ran'} · ${removalRequests()} removal requests`,
		});
		expect(run.data.resultData.error?.message).toMatch(
			/^The pasted Mudbase JWT expired at \d{4}-\d\d-\d\dT[\d:.]+Z: nothing was sent\. Paste a fresh token or use log-in mode\.$/,
		);
		expect(removalRequests()).toBe(0);
	});

	it("works with a valid pasted JWT and never removes the token's own account (sub)", async () => {
		for (const person of people) sandbox.addPerson(person);
		const token = await sandbox.mudbase.issueToken('usr_admin', 'admin@sandbox.test', 600);
		const credentials = sandboxCredentials(sandbox);
		Object.assign(credentials.mudbaseApi, { mode: 'token', token });
		const { outputs } = await runNode({
			nodeType: new OffboardUsers(),
			credentialTypes: CREDENTIAL_TYPES,
			credentials,
			items: itemsFor([...people, { email: 'admin@sandbox.test', mudbaseUserId: 'usr_admin' }]),
			parameters: offboardParameters({ systems: ['mudbase'] }) as never,
		});
		expect(outputs[0].map((i) => [i.json.userId, i.json.status])).toEqual(
			expect.arrayContaining([
				...people.map((p) => [p.mudbaseUserId, 'removed']),
				['usr_admin', 'skipped'],
			]),
		);
		expect(sandbox.mudbase.isParticipant('proj_demo', 'chat_general', 'usr_admin')).toBe(true);
		expect(sandbox.mudbase.loginCount).toBe(0);
	});

	it('puts no secret value anywhere in the execution result, errors included', async () => {
		for (const person of people) sandbox.addPerson(person);
		const hostile = [...people, { email: 'x@example.com', productBridgeUserId: 'not-a-uuid' }];
		const credentials = sandboxCredentials(sandbox);
		credentials.flashbackApi.token = 'fb-wrong-secret-token';
		const { run, credentialsHelper } = await runNode({
			nodeType: new OffboardUsers(),
			credentialTypes: CREDENTIAL_TYPES,
			credentials,
			items: itemsFor(hostile),
			parameters: offboardParameters() as never,
		});
		const everything = JSON.stringify(run, (_, value: unknown) =>
			value instanceof Error
				? {
						...value,
						message: value.message,
						stack: value.stack,
						description: (value as { description?: string }).description,
					}
				: value,
		);
		const jwt = String(credentialsHelper.stored.mudbaseApi.sessionToken);
		expect(jwt.split('.')).toHaveLength(3);
		for (const secret of [...DEMO_SECRETS, 'fb-wrong-secret-token', jwt])
			expect(everything).not.toContain(secret);
		expect(everything).toContain('Input should be a valid UUID');
	});
});
