/**
 * The SCIM 2.0 App node and SCIM in Offboard Users, through n8n-core's WorkflowExecute, against
 * scimmy (a SCIM server nobody here wrote): users found by email, deactivated or deleted once,
 * judged by the server's own stored users; the credential test reads, never changes; no secret in
 * the output.
 */
import { CredentialTestContext } from 'n8n-core';
import { OffboardUsers } from '../../nodes/OffboardUsers/OffboardUsers.node';
import { Scim } from '../../nodes/Scim/Scim.node';
import { processLimiters } from '../../src/engine/limiter';
import { credentialTests } from '../../src/n8n/credentialTests';
import { startFaultProxy } from '../support/faultProxy';
import { runNode } from '../support/n8n';
import { CREDENTIAL_TYPES } from '../support/n8nSandbox';
import {
	changesSince,
	type ScimServer,
	type ScimState,
	startScimServer,
} from '../support/scimServers';

jest.setTimeout(60_000);

const TOKEN = 'scim-node-token-77aa';
let server: ScimServer;
let seeded: ScimState;
beforeEach(async () => {
	processLimiters.clear();
	server = await startScimServer('scimmy', {
		token: TOKEN,
		users: [
			{ userName: 'ada@example.com', emails: ['ada@example.com'] },
			{ userName: 'bob@example.com', emails: ['bob@example.com'] },
			{ userName: 'stays@example.com', emails: ['stays@example.com'] },
		],
	});
	seeded = await server.state();
});
afterEach(async () => {
	await server?.stop();
});

function scimCredential(action: 'deactivate' | 'delete', token = TOKEN) {
	return { scimApi: { baseUrl: server.baseUrl, token, headerName: '', action } };
}

async function changed(): Promise<Array<[string, string]>> {
	return changesSince(await server.state(), seeded);
}

describe('SCIM 2.0 App node', () => {
	it('finds each item by email and deactivates it; an unknown email is not found', async () => {
		const run = await runNode({
			nodeType: new Scim(),
			credentialTypes: CREDENTIAL_TYPES,
			credentials: scimCredential('deactivate'),
			items: [{ json: { email: 'ada@example.com' } }, { json: { email: 'nobody@example.com' } }],
			parameters: {
				resource: 'user',
				operation: 'remove',
				findBy: 'email',
				appName: 'Slack',
				userId: '={{ $json.email }}',
				options: {},
			} as never,
		});
		expect(
			run.outputs[0].map((i) => [i.json.userId, i.json.system, i.json.status, i.pairedItem]),
		).toEqual([
			['ada@example.com', 'scim', 'removed', { item: 0 }],
			['nobody@example.com', 'scim', 'not_found', { item: 1 }],
		]);
		expect(run.outputs[0][1].json.reason).toBe(
			'Slack has no user with email "nobody@example.com" (searched emails.value eq "nobody@example.com")',
		);
		expect(await changed()).toEqual([['ada@example.com', 'PATCH']]);
		expect(JSON.stringify(run.outputs)).not.toContain(TOKEN);
	});

	it('a dry run says the read and the change it would send, and changes nothing', async () => {
		const run = await runNode({
			nodeType: new Scim(),
			credentialTypes: CREDENTIAL_TYPES,
			credentials: scimCredential('delete'),
			items: [{ json: { email: 'bob@example.com' } }],
			parameters: {
				resource: 'user',
				operation: 'remove',
				findBy: 'userName',
				userId: '={{ $json.email }}',
				options: { dryRun: true },
			} as never,
		});
		expect(run.outputs[0].map((i) => [i.json.status, i.json.reason])).toEqual([
			[
				'would_remove',
				`would send GET ${server.baseUrl}/Users?filter=userName%20eq%20%22bob%40example.com%22, then DELETE /Users/{the id it finds}`,
			],
		]);
		expect(await changed()).toEqual([]);
	});
});

describe('SCIM in Offboard Users', () => {
	it('a list of emails: each user found by userName and deleted once, bystanders untouched', async () => {
		const run = await runNode({
			nodeType: new OffboardUsers(),
			credentialTypes: CREDENTIAL_TYPES,
			credentials: scimCredential('delete'),
			items: [
				{ json: { email: 'ada@example.com' } },
				{ json: { email: 'bob@example.com' } },
				{ json: { email: 'ada@example.com' } },
			],
			parameters: {
				systems: ['scim'],
				inputSource: 'items',
				outputMode: 'perResult',
				scimFindBy: 'userName',
				scimAppName: 'Zoom',
				options: {},
			} as never,
		});
		expect(run.outputs[0].map((i) => [i.json.row, i.json.status, i.json.reason])).toEqual([
			[1, 'removed', 'Zoom confirmed the change (204 No Content)'],
			[2, 'removed', 'Zoom confirmed the change (204 No Content)'],
			[3, 'skipped', 'duplicate of row 1 (same Zoom user and scope): sent once'],
		]);
		expect(await changed()).toEqual([
			['ada@example.com', 'DELETE'],
			['bob@example.com', 'DELETE'],
		]);
		const left = (await server.state()).users.map((u) => u.userName);
		expect(left).toEqual(['stays@example.com']);
	});
});

describe('SCIM credential test', () => {
	async function test(token: string, baseUrl = server.baseUrl) {
		return credentialTests.scimCredentialTest.call(new CredentialTestContext(), {
			id: '1',
			name: 'test',
			type: 'scimApi',
			data: { baseUrl, token, headerName: '', action: 'delete' },
		});
	}

	it('accepts the token with a read of a user that cannot exist (even for Delete); changes nothing', async () => {
		const proxy = await startFaultProxy(server.baseUrl, []);
		try {
			expect((await test(TOKEN, proxy.url)).status).toBe('OK');
			expect(proxy.log.map((e) => [e.method, e.path, e.status])).toEqual([
				['GET', '/scim/v2/Users/n8n-credential-test-0000', 404],
			]);
		} finally {
			await proxy.stop();
		}
		expect(await test(TOKEN)).toEqual({
			status: 'OK',
			message:
				'SCIM accepted the credential (answered 404 for an id that cannot exist); scopes cannot be checked without real ids',
		});
		expect(await changed()).toEqual([]);
	});

	it('refuses a wrong token with the server message, never the token', async () => {
		const result = await test('wrong-token-123');
		expect(result.status).toBe('Error');
		expect(result.message).toMatch(/^SCIM rejected the credential \(401: /);
		expect(result.message).not.toContain('wrong-token-123');
	});
});
