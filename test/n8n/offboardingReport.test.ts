/**
 * The Offboarding Report node through WorkflowExecute: outcome items of several per-system nodes
 * (run against the sandbox emulators and real SCIM servers) → one CSV report or one GDPR receipt.
 * n8n-nodes-base (the core Merge node) is not installed in this harness, so the report node is fed
 * the per-system nodes' output items concatenated, as a Merge node in Append mode passes them on.
 */
import type { IBinaryData, INodeExecutionData } from 'n8n-workflow';
import { ScimApi } from '../../credentials/ScimApi.credentials';
import { Ejento } from '../../nodes/Ejento/Ejento.node';
import { Flashback } from '../../nodes/Flashback/Flashback.node';
import { OffboardingReport } from '../../nodes/OffboardingReport/OffboardingReport.node';
import { Scim } from '../../nodes/Scim/Scim.node';
import { processLimiters } from '../../src/engine/limiter';
import { DEMO_SCOPES, demoPerson, type Sandbox, startSandbox } from '../../sandbox';
import { initBinaryData, runNode } from '../support/n8n';
import { CREDENTIAL_TYPES, DEMO_SECRETS, sandboxCredentials } from '../support/n8nSandbox';
import { type ScimServer, startScimServer } from '../support/scimServers';

let sandbox: Sandbox;
let binaryData: Awaited<ReturnType<typeof initBinaryData>>;
beforeAll(async () => {
	binaryData = await initBinaryData();
});
beforeEach(async () => {
	processLimiters.clear();
	sandbox = await startSandbox();
});
afterEach(async () => {
	await sandbox.close();
});

const [alice, bob] = [demoPerson(1), demoPerson(2)];
const STATUSES = { removed: 0, not_found: 0, would_remove: 0, skipped: 0, failed: 0 };

/** A per-system node removing `userIds` from its demo scope: its output items. */
async function removeWith(
	system: 'flashback' | 'ejento',
	userIds: string[],
): Promise<INodeExecutionData[]> {
	const credentialType = `${system}Api`;
	const { outputs, run } = await runNode({
		nodeType: system === 'flashback' ? new Flashback() : new Ejento(),
		credentialTypes: CREDENTIAL_TYPES,
		credentials: { [credentialType]: sandboxCredentials(sandbox)[credentialType] },
		items: userIds.map((userId) => ({ json: { userId } })),
		parameters: {
			resource: 'user',
			operation: 'remove',
			...DEMO_SCOPES[system],
			userId: '={{ $json.userId }}',
			options: {},
		} as never,
	});
	expect(run.data.resultData.error).toBeUndefined();
	return outputs[0];
}

/** The SCIM 2.0 App node named `appName`, deactivating users found by userName. */
async function deactivateIn(
	server: ScimServer,
	appName: string,
	userNames: string[],
): Promise<INodeExecutionData[]> {
	const { outputs, run } = await runNode({
		nodeType: new Scim(),
		credentialTypes: { scimApi: new ScimApi() },
		credentials: {
			scimApi: {
				baseUrl: server.baseUrl,
				token: server.token,
				headerName: '',
				action: 'deactivate',
			},
		},
		items: userNames.map((userName) => ({ json: { userName } })),
		parameters: {
			resource: 'user',
			operation: 'remove',
			findBy: 'userName',
			appName,
			userId: '={{ $json.userName }}',
			options: {},
		} as never,
	});
	expect(run.data.resultData.error).toBeUndefined();
	return outputs[0];
}

async function report(items: INodeExecutionData[], parameters: Record<string, unknown>) {
	return await runNode({
		nodeType: new OffboardingReport(),
		credentialTypes: {},
		credentials: {},
		items: items.map((item) => ({ json: item.json })),
		parameters: parameters as never,
	});
}

async function csvOf(item: INodeExecutionData): Promise<string[]> {
	const binary = item.binary?.report as IBinaryData;
	expect(binary).toMatchObject({ mimeType: 'text/csv', fileName: 'offboarding-report.csv' });
	const text = (await binaryData.getAsBuffer(binary)).toString('utf8');
	expect(text.endsWith('\r\n')).toBe(true);
	return text.slice(0, -2).split('\r\n');
}

/** Flashback removes alice and finds no bob; Ejento removes alice: the emulators say so. */
async function flashbackAndEjento(): Promise<INodeExecutionData[]> {
	sandbox.addPerson(alice);
	const flashback = await removeWith('flashback', [alice.flashbackUserId, bob.flashbackUserId]);
	const ejento = await removeWith('ejento', [alice.ejentoUserId]);
	expect(sandbox.isDemoMember('flashback', alice.flashbackUserId)).toBe(false);
	expect(sandbox.isDemoMember('ejento', alice.ejentoUserId)).toBe(false);
	return [...flashback, ...ejento];
}

describe('Offboarding Report over the outcomes of several nodes', () => {
	it('names each outcome item by the app its node acted on', async () => {
		const items = await flashbackAndEjento();
		expect(items.map((i) => [i.json.system, i.json.systemName, i.json.status])).toEqual([
			['flashback', 'Flashback', 'removed'],
			['flashback', 'Flashback', 'not_found'],
			['ejento', 'Ejento', 'removed'],
		]);
	});

	it('writes one CSV report with totals, in the format of Offboard Users', async () => {
		const items = await flashbackAndEjento();
		const { outputs, run } = await report(items, { output: 'csvReport' });
		expect(run.data.resultData.error).toBeUndefined();
		expect(outputs[0]).toHaveLength(1);
		const [summary] = outputs[0];
		expect(summary.json).toEqual({
			totals: {
				ejento: { ...STATUSES, removed: 1 },
				flashback: { ...STATUSES, removed: 1, not_found: 1 },
			},
			warnings: [],
			outcomes: 3,
		});
		expect(Object.keys(summary.json.totals as object)).toEqual(['ejento', 'flashback']);
		expect(summary.pairedItem).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
		const ms = items.map((i) => String(i.json.durationMs));
		expect(await csvOf(summary)).toEqual([
			'n8n-offboarding-report,row,email,system,productId,projectId,workspaceId,chatId,userId,status,httpStatus,attempts,durationMs,reason,confirmedAfterUncertain,uncertain,scopeUnconfirmed,cancelledAt,request',
			`v1,1,,flashback,,,ws_demo,,fb_user_1,removed,200,1,${ms[0]},Flashback confirmed the removal (200),,,,,`,
			`v1,2,,flashback,,,ws_demo,,fb_user_2,not_found,404,1,${ms[1]},Flashback says the user is not there (404: User not found in workspace),,,,,`,
			`v1,1,,ejento,,151,,,1001,removed,200,1,${ms[2]},Ejento confirmed the removal (200),,,,,`,
		]);
	});

	it('gives one GDPR receipt over every outcome, each system with its status', async () => {
		const items = await flashbackAndEjento();
		const { outputs } = await report(items, {
			output: 'receipt',
			requestId: 'DSR-2026-017',
			receivedAt: '2026-01-31T10:00:00Z',
		});
		expect(outputs[0]).toHaveLength(1);
		const receipt = outputs[0][0].json;
		expect(receipt).toMatchObject({
			requestId: 'DSR-2026-017',
			receivedAt: '2026-01-31T10:00:00.000Z',
			dueBy: '2026-02-28T10:00:00.000Z',
			extendedDueBy: '2026-04-30T10:00:00.000Z',
			complete: true,
			statement:
				'Access removed from Ejento, Flashback; no access found in the other systems checked. This confirms the removal of access, not the erasure of data the vendors hold.',
			warnings: [],
		});
		expect(receipt.systems).toEqual([
			{
				system: 'ejento',
				name: 'Ejento',
				status: 'access removed',
				counts: { ...STATUSES, removed: 1 },
				failures: [],
				skipped: [],
				unconfirmed: [],
			},
			{
				system: 'flashback',
				name: 'Flashback',
				status: 'access removed',
				counts: { ...STATUSES, removed: 1, not_found: 1 },
				failures: [],
				skipped: [],
				unconfirmed: [],
			},
		]);
		expect(outputs[0][0].pairedItem).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
	});

	it('keeps two SCIM apps apart in the receipt and the report', async () => {
		const seed = [{ userName: alice.email, emails: [alice.email] }];
		const slack = await startScimServer('scimmy', { users: seed });
		const zoom = await startScimServer('scimmy', { users: seed });
		try {
			sandbox.addPerson(alice);
			const items = [
				...(await removeWith('flashback', [alice.flashbackUserId])),
				...(await deactivateIn(zoom, 'Zoom', [alice.email])),
				...(await deactivateIn(slack, 'Slack', [alice.email, bob.email])),
			];
			for (const server of [slack, zoom])
				expect((await server.state()).users.map((u) => [u.userName, u.active])).toEqual([
					[alice.email, false],
				]);
			expect(items.map((i) => [i.json.system, i.json.systemName, i.json.status])).toEqual([
				['flashback', 'Flashback', 'removed'],
				['scim', 'Zoom', 'removed'],
				['scim', 'Slack', 'removed'],
				['scim', 'Slack', 'not_found'],
			]);

			const receipt = (
				await report(items, { output: 'receipt', requestId: 'DSR-9', receivedAt: '' })
			).outputs[0][0].json as { systems: Array<Record<string, unknown>>; statement: string };
			expect(receipt.systems.map((s) => [s.system, s.name, s.status, s.counts])).toEqual([
				['flashback', 'Flashback', 'access removed', { ...STATUSES, removed: 1 }],
				['scim', 'Slack', 'access removed', { ...STATUSES, removed: 1, not_found: 1 }],
				['scim', 'Zoom', 'access removed', { ...STATUSES, removed: 1 }],
			]);
			expect(receipt.statement).toMatch(/^Access removed from Flashback, Slack, Zoom;/);

			const csv = await report(items, { output: 'csvReport' });
			const [summary] = csv.outputs[0];
			expect(summary.json.totals).toEqual({
				flashback: { ...STATUSES, removed: 1 },
				'scim:Slack': { ...STATUSES, removed: 1, not_found: 1 },
				'scim:Zoom': { ...STATUSES, removed: 1 },
			});
			const lines = await csvOf(summary);
			expect(lines[0].endsWith(',request,system_name,system_scope')).toBe(true);
			// system_name, then an empty system_scope (SCIM has no scope fields).
			expect(lines.slice(1).map((l) => l.split(',').slice(-2).join(','))).toEqual([
				'Flashback,',
				'Zoom,',
				'Slack,',
				'Slack,',
			]);
			for (const secret of [slack.token, zoom.token]) {
				expect(JSON.stringify(csv.run)).not.toContain(secret);
				expect(lines.join('\n')).not.toContain(secret);
			}
		} finally {
			await Promise.all([slack.stop(), zoom.stop()]);
		}
	});

	it('fails on an item that is not an outcome, naming the item and what it lacks', async () => {
		const items = await flashbackAndEjento();
		const { run, outputs } = await report(
			[items[0], { json: { email: 'someone@example.com' } }, items[1]],
			{ output: 'csvReport' },
		);
		expect(outputs).toEqual([]);
		expect(run.data.resultData.error?.message).toBe(
			'Input item 1 (counting from 0) is not an outcome of the offboarding nodes: row is missing; system is missing; scope is missing; userId is missing (and 4 more)',
		);
	});

	it("says when an item came from an error output, which keeps only the failure's message", async () => {
		const items = await flashbackAndEjento();
		const { run } = await report(
			[items[0], { json: { error: 'Row 2 (fb_user_2), Flashback ws_demo: failed' } }],
			{ output: 'receipt', requestId: 'DSR-1' },
		);
		expect(run.data.resultData.error?.message).toMatch(
			/^Input item 1 \(counting from 0\) is not an outcome of the offboarding nodes: row is missing; .*\. It looks like an item from an error output, which keeps only the message: set the offboarding node's On Error to stop or to continue \(regular output\)/,
		);
	});

	it('refuses a Received At that is not a date', async () => {
		const items = await flashbackAndEjento();
		const { run } = await report(items, {
			output: 'receipt',
			requestId: 'DSR-1',
			receivedAt: 'yesterday',
		});
		expect(run.data.resultData.error?.message).toBe(
			'Received At "yesterday" is not an ISO 8601 date: give one like 2026-05-04T09:30:00Z, or leave it empty for now',
		);
	});

	it('puts no credential secret in its output', async () => {
		const items = await flashbackAndEjento();
		for (const output of ['csvReport', 'receipt']) {
			const { run, outputs } = await report(items, { output, requestId: 'DSR-1' });
			const text =
				JSON.stringify(run) +
				(output === 'csvReport' ? (await csvOf(outputs[0][0])).join('\n') : '');
			for (const secret of DEMO_SECRETS) expect(text).not.toContain(secret);
		}
	});
});
