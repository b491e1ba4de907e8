/**
 * A Custom HTTP system defined in the editor — no code — through WorkflowExecute: Flashback's
 * "Remove User from Workspace" described by settings alone, against the Flashback emulator's
 * ground truth (the scope read from each item's field, the not-there and wrong-scope answers,
 * a dry run, a refused setting, no secret in the output).
 */
import { CustomHttp } from '../../nodes/CustomHttp/CustomHttp.node';
import { OffboardUsers } from '../../nodes/OffboardUsers/OffboardUsers.node';
import { processLimiters } from '../../src/engine/limiter';
import {
	DEMO_CREDENTIALS,
	DEMO_SCOPES,
	demoPerson,
	type Sandbox,
	startSandbox,
} from '../../sandbox';
import { runNode } from '../support/n8n';
import { CREDENTIAL_TYPES } from '../support/n8nSandbox';

let sandbox: Sandbox;
beforeEach(async () => {
	processLimiters.clear();
	sandbox = await startSandbox();
});
afterEach(async () => {
	await sandbox.close();
});

const WS = DEMO_SCOPES.flashback.workspaceId;
/** Flashback's documented call, as a user would type it into the node. */
const FLASHBACK_AS_SETTINGS = {
	appName: 'Flashback (custom)',
	method: 'DELETE',
	path: '/workspace/{workspaceId}/users/{userId}',
	body: '',
	successStatuses: '200',
	successField: 'success=true',
	notThereStatus: '404',
	notThereMessage: 'user not found in workspace',
	wrongScopeStatus: '403',
	wrongScopeMessage: 'insufficient permissions',
};

function credentials(token: string = DEMO_CREDENTIALS.flashback.token) {
	return { customHttpApi: { baseUrl: sandbox.baseUrls.flashback, authType: 'bearer', token } };
}

describe('Custom HTTP System node', () => {
	it('removes each item, reads the scope from the item, then says not found; wrong scope fails', async () => {
		const [a, b] = [demoPerson(1), demoPerson(2)];
		sandbox.addPerson(a);
		sandbox.addPerson(b);
		const items = [
			{ json: { id: a.flashbackUserId, workspaceId: WS } },
			{ json: { id: b.flashbackUserId, workspaceId: WS } },
			{ json: { id: 'fb_nobody', workspaceId: WS } },
			{ json: { id: b.flashbackUserId, workspaceId: 'ws_typo' } },
		];
		const run = await runNode({
			nodeType: new CustomHttp(),
			credentialTypes: CREDENTIAL_TYPES,
			credentials: credentials(),
			items,
			parameters: {
				resource: 'user',
				operation: 'remove',
				...FLASHBACK_AS_SETTINGS,
				userId: '={{ $json.id }}',
				options: {},
			} as never,
		});
		expect(
			run.outputs[0].map((i) => [i.json.userId, i.json.system, i.json.status, i.json.reason]),
		).toEqual([
			[a.flashbackUserId, 'custom', 'removed', 'Flashback (custom) confirmed the removal (200)'],
			[b.flashbackUserId, 'custom', 'removed', 'Flashback (custom) confirmed the removal (200)'],
			[
				'fb_nobody',
				'custom',
				'not_found',
				'Flashback (custom) says the user is not there (404: User not found in workspace)',
			],
			[
				b.flashbackUserId,
				'custom',
				'failed',
				'Flashback (custom) answered 403: Insufficient permissions to manage workspace users: check the workspaceId',
			],
		]);
		expect([
			sandbox.flashback.isMember(WS, a.flashbackUserId),
			sandbox.flashback.isMember(WS, b.flashbackUserId),
		]).toEqual([false, false]);
		const removals = sandbox.flashback.requests.filter(
			(r) => r.method === 'DELETE' && r.status === 200,
		);
		expect(removals).toHaveLength(2);
		expect(JSON.stringify(run.outputs)).not.toContain(DEMO_CREDENTIALS.flashback.token);
	});

	it('a dry run shows the request with the credential redacted, and sends nothing', async () => {
		const run = await runNode({
			nodeType: new CustomHttp(),
			credentialTypes: CREDENTIAL_TYPES,
			credentials: credentials(),
			items: [{ json: { id: 'fb_user_1', workspaceId: WS } }],
			parameters: {
				resource: 'user',
				operation: 'remove',
				...FLASHBACK_AS_SETTINGS,
				userId: '={{ $json.id }}',
				options: { dryRun: true },
			} as never,
		});
		expect(run.outputs[0].map((i) => [i.json.status, i.json.request])).toEqual([
			[
				'would_remove',
				{
					method: 'DELETE',
					url: `${sandbox.baseUrls.flashback}/workspace/${WS}/users/fb_user_1`,
					headers: { Authorization: '[redacted]' },
				},
			],
		]);
		expect(sandbox.flashback.requests).toHaveLength(0);
	});

	it('a setting that cannot work fails the node before any request, naming the setting', async () => {
		const refused = await runNode({
			nodeType: new CustomHttp(),
			credentialTypes: CREDENTIAL_TYPES,
			credentials: credentials(),
			items: [{ json: { id: 'fb_user_1' } }],
			parameters: {
				resource: 'user',
				operation: 'remove',
				...FLASHBACK_AS_SETTINGS,
				path: '/workspace/me',
				userId: '={{ $json.id }}',
				options: {},
			} as never,
		});
		expect(refused.run.data.resultData.error?.message).toBe(
			'Put {userId} in the Path or the JSON Body: it says who is removed',
		);
		expect(sandbox.flashback.requests).toHaveLength(0);
	});

	it('in Offboard Users: the scope placeholder reads the row field of that name', async () => {
		const person = demoPerson(3);
		sandbox.addPerson(person);
		const run = await runNode({
			nodeType: new OffboardUsers(),
			credentialTypes: CREDENTIAL_TYPES,
			credentials: credentials(),
			items: [{ json: { email: person.email, userId: person.flashbackUserId, workspaceId: WS } }],
			parameters: {
				systems: ['custom'],
				inputSource: 'items',
				outputMode: 'perResult',
				...Object.fromEntries(
					Object.entries(FLASHBACK_AS_SETTINGS).map(([k, v]) => [
						`custom${k[0].toUpperCase()}${k.slice(1)}`,
						v,
					]),
				),
				options: {},
			} as never,
		});
		expect(run.outputs[0].map((i) => [i.json.email, i.json.scope, i.json.status])).toEqual([
			[person.email, { workspaceId: WS }, 'removed'],
		]);
		expect(sandbox.flashback.isMember(WS, person.flashbackUserId)).toBe(false);
	});
});

describe('Custom HTTP System without a Not There Message', () => {
	const LOOSE = { ...FLASHBACK_AS_SETTINGS, notThereMessage: '' };

	async function remove(path: string, ids: string[]) {
		return runNode({
			nodeType: new CustomHttp(),
			credentialTypes: CREDENTIAL_TYPES,
			credentials: credentials(),
			items: ids.map((id) => ({ json: { id, workspaceId: WS } })),
			parameters: {
				resource: 'user',
				operation: 'remove',
				...LOOSE,
				path,
				userId: '={{ $json.id }}',
				options: {},
			} as never,
		});
	}

	it('does not read the 404 of a mistyped path as "not there": not found, unconfirmed, nobody removed', async () => {
		const a = demoPerson(1);
		sandbox.addPerson(a);
		const run = await remove('/workspaces/{workspaceId}/users/{userId}', [a.flashbackUserId]);
		expect(
			run.outputs[0].map((i) => [i.json.status, i.json.scopeUnconfirmed, i.json.reason]),
		).toEqual([
			[
				'not_found',
				true,
				`not found — unconfirmed: its Not There Message is empty, so the Not There Status answered for a mistyped path, base URL or scope reads exactly like a user who is not there; check workspaceId ${WS} (a removal there confirms it). Flashback (custom) says the user is not there (404: Not Found)`,
			],
		]);
		expect(sandbox.flashback.isMember(WS, a.flashbackUserId)).toBe(true);
		const hints = run.run.data.resultData.runData['Node under test'][0].hints ?? [];
		expect(hints.map((h) => h.message)).toContain(
			`Flashback (custom): 1 "not found" answer is unconfirmed: its Not There Message is empty, so the Not There Status answered for a mistyped path, base URL or scope reads exactly like a user who is not there. Check workspaceId ${WS}: until a removal there succeeds, "not found" there may mean a wrong id.`,
		);
	});

	it('confirms "not there" once a removal through the same path succeeded; another path stays unconfirmed', async () => {
		const a = demoPerson(1);
		sandbox.addPerson(a);
		const good = await remove('/workspace/{workspaceId}/users/{userId}', [
			'fb_nobody',
			a.flashbackUserId,
		]);
		expect(
			good.outputs[0].map((i) => [i.json.userId, i.json.status, i.json.scopeUnconfirmed]),
		).toEqual([
			['fb_nobody', 'not_found', undefined],
			[a.flashbackUserId, 'removed', undefined],
		]);
		// Same credential, same workspace, a mistyped path: the evidence above is not for it.
		const typo = await remove('/workspace/{workspaceId}/user/{userId}', ['fb_other']);
		expect(typo.outputs[0].map((i) => [i.json.status, i.json.scopeUnconfirmed])).toEqual([
			['not_found', true],
		]);
		// The right path again, in a later run: the removal above still confirms it.
		const later = await remove('/workspace/{workspaceId}/users/{userId}', ['fb_someone']);
		expect(later.outputs[0].map((i) => [i.json.status, i.json.scopeUnconfirmed])).toEqual([
			['not_found', undefined],
		]);
	});
});
