/**
 * One removal per system, end to end over real HTTP on 127.0.0.1, asserted against the emulators'
 * ground truth: who is still a member, and every request they received.
 */
import { bearer } from '../../src/auth/schemes';
import { REDACTED } from '../../src/secrets';
import { createFetchTransport } from '../../src/transport/fetchTransport';
import { DEMO_CREDENTIALS, DEMO_SCOPES, startSandbox, type Sandbox } from '../../sandbox';
import { demoClient, ejentoApiKeyClient, removeWith, verdictOf } from '../support/sandboxClient';

let sandbox: Sandbox;
beforeAll(async () => {
	sandbox = await startSandbox();
});
afterAll(async () => {
	await sandbox.close();
});

const pa = DEMO_SCOPES.productAccess;
const ej = { projectId: DEMO_SCOPES.ejento.projectId };
const fb = DEMO_SCOPES.flashback;
const mb = DEMO_SCOPES.mudbase;

function uuid(n: number): string {
	return `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
}

describe('Product Access', () => {
	it('removes a user by id, then reports not_found for the same removal', async () => {
		sandbox.productAccess.addMember(pa.productId, {
			id: 'pa_1',
			email: 'one@example.com',
			name: 'One',
		});
		const client = demoClient(sandbox, 'productAccess');
		const first = verdictOf(await removeWith(sandbox, 'productAccess', client, pa, 'pa_1'));
		expect(first).toMatchObject({
			kind: 'removed',
			status: 'removed',
			httpStatus: 200,
			detail: { suspendedAt: null },
		});
		expect(first.detail?.cancelledAt).toMatch(/^\d{4}-\d\d-\d\dT/);
		expect(sandbox.productAccess.isMember(pa.productId, 'pa_1')).toBe(false);
		expect(verdictOf(await removeWith(sandbox, 'productAccess', client, pa, 'pa_1'))).toEqual({
			kind: 'not_there',
			status: 'not_found',
			httpStatus: 404,
			reason: 'Product Access says the user is not there (404: User not found)',
		});
	});

	it('removes a user by an email with + and % (% allowed by the option), encoded into the path', async () => {
		sandbox.productAccess.addMember(pa.productId, {
			id: 'pa_2',
			email: 'a+b%c@example.com',
			name: 'Two',
		});
		const client = demoClient(sandbox, 'productAccess');
		// By default a % in a path id is refused before any request (DESIGN §2).
		const before = sandbox.productAccess.removalRequests().length;
		expect(
			await removeWith(sandbox, 'productAccess', client, pa, ' A+B%C@example.com '),
		).toMatchObject({
			sent: false,
		});
		expect(sandbox.productAccess.removalRequests()).toHaveLength(before);
		const result = await removeWith(
			sandbox,
			'productAccess',
			client,
			pa,
			' A+B%C@example.com ',
			5000,
			{ allowUnsafePathCharacters: true },
		);
		expect(verdictOf(result).status).toBe('removed');
		expect(sandbox.productAccess.isMember(pa.productId, 'pa_2')).toBe(false);
		expect(sandbox.productAccess.requests.at(-1)?.rawUrl).toBe(
			`/api/v1/products/${pa.productId}/users/A%2BB%25C%40example.com`,
		);
	});

	it('fails an unknown product with a scope hint, never not_found', async () => {
		const result = await removeWith(
			sandbox,
			'productAccess',
			demoClient(sandbox, 'productAccess'),
			{ productId: 'prod_typo' },
			'pa_x',
		);
		expect(verdictOf(result)).toMatchObject({
			kind: 'wrong_scope',
			status: 'failed',
			httpStatus: 404,
		});
	});

	it('fails a bad token as unauthorized and removes nobody', async () => {
		sandbox.productAccess.addMember(pa.productId, {
			id: 'pa_3',
			email: 'three@example.com',
			name: 'Three',
		});
		const client = {
			transport: createFetchTransport({ authenticate: bearer('wrong-token') }),
			secrets: ['wrong-token'],
		};
		expect(verdictOf(await removeWith(sandbox, 'productAccess', client, pa, 'pa_3'))).toEqual({
			kind: 'unauthorized',
			status: 'failed',
			httpStatus: 401,
			reason:
				'Product Access rejected the credential (401: Unauthorized): check the token or API key',
		});
		expect(sandbox.productAccess.isMember(pa.productId, 'pa_3')).toBe(true);
	});
});

describe('ProductBridge', () => {
	it('removes a linked user with the api_key in the body, then reports not_found', async () => {
		sandbox.productBridge.addMember(uuid(1));
		const client = demoClient(sandbox, 'productBridge');
		expect(verdictOf(await removeWith(sandbox, 'productBridge', client, {}, uuid(1)))).toEqual({
			kind: 'removed',
			status: 'removed',
			httpStatus: 200,
			reason: 'ProductBridge confirmed the removal (200)',
		});
		expect(sandbox.productBridge.isMember(uuid(1))).toBe(false);
		expect(JSON.parse(sandbox.productBridge.requests.at(-1)?.body ?? '')).toEqual({
			user_id: uuid(1),
			api_key: DEMO_CREDENTIALS.productBridge.apiKey,
		});
		expect(
			verdictOf(await removeWith(sandbox, 'productBridge', client, {}, uuid(1))),
		).toMatchObject({
			kind: 'not_there',
			status: 'not_found',
			httpStatus: 404,
		});
	});

	it("reports the API's 422 for an id that is not a UUID, as the page's own example is", async () => {
		const result = await removeWith(
			sandbox,
			'productBridge',
			demoClient(sandbox, 'productBridge'),
			{},
			'bb3c3ef8-b8cd-cd15-01ba-useruser0001',
		);
		expect(verdictOf(result)).toMatchObject({
			kind: 'rejected',
			status: 'failed',
			httpStatus: 422,
		});
		expect(verdictOf(result).reason).toContain('body.user_id: Input should be a valid UUID');
	});

	it('scrubs the api_key out of a 422 that echoes the request body', async () => {
		const { apiKey } = DEMO_CREDENTIALS.productBridge;
		const client = demoClient(sandbox, 'productBridge');
		const { redactingTransport } = await import('../../src/secrets');
		const raw = await client.transport.send({
			method: 'POST',
			url: `${sandbox.baseUrls.productBridge}/api/external/v1/users/delete`,
			headers: {},
			body: {},
			timeoutMs: 5000,
		});
		expect(raw.status).toBe(422);
		expect(raw.body).toContain(apiKey); // the emulator echoes it, as FastAPI does
		const scrubbed = await redactingTransport(client.transport, () => client.secrets).send({
			method: 'POST',
			url: `${sandbox.baseUrls.productBridge}/api/external/v1/users/delete`,
			headers: {},
			body: {},
			timeoutMs: 5000,
		});
		expect(scrubbed.body).not.toContain(apiKey);
		expect(JSON.parse(scrubbed.body).detail[0].input).toEqual({ api_key: REDACTED });
	});

	it('fails an unknown api_key as unauthorized', async () => {
		sandbox.productBridge.addMember(uuid(2));
		const { apiKeyInBody } = await import('../../src/auth/schemes');
		const client = {
			transport: createFetchTransport({ authenticate: apiKeyInBody('api_key', 'pb_wrong') }),
			secrets: ['pb_wrong'],
		};
		expect(verdictOf(await removeWith(sandbox, 'productBridge', client, {}, uuid(2)))).toEqual({
			kind: 'unauthorized',
			status: 'failed',
			httpStatus: 401,
			reason:
				'ProductBridge rejected the credential (401: invalid api_key): check the token or API key',
		});
		expect(sandbox.productBridge.isMember(uuid(2))).toBe(true);
	});
});

describe('Ejento', () => {
	it('removes a project member with a Bearer token, then reports not_found', async () => {
		sandbox.ejento.addMember(151, { id: 16, email: 'user@example.com' });
		const client = demoClient(sandbox, 'ejento');
		expect(verdictOf(await removeWith(sandbox, 'ejento', client, ej, '16')).status).toBe('removed');
		expect(sandbox.ejento.isMember(151, 16)).toBe(false);
		expect(verdictOf(await removeWith(sandbox, 'ejento', client, ej, '16'))).toEqual({
			kind: 'not_there',
			status: 'not_found',
			httpStatus: 404,
			reason: 'Ejento says the user is not there (404: Record Not Found)',
		});
	});

	it('removes with an API key in the configured header', async () => {
		sandbox.ejento.addMember(151, { id: 17, email: 'seventeen@example.com' });
		expect(
			verdictOf(await removeWith(sandbox, 'ejento', ejentoApiKeyClient(), ej, 17)).status,
		).toBe('removed');
		expect(sandbox.ejento.requests.at(-1)?.headers['x-api-key']).toBe(
			DEMO_CREDENTIALS.ejento.apiKey,
		);
	});

	it('cannot tell an unknown project from a missing user (documented): not_found, user untouched', async () => {
		sandbox.ejento.addMember(151, { id: 18, email: 'eighteen@example.com' });
		expect(
			verdictOf(
				await removeWith(
					sandbox,
					'ejento',
					demoClient(sandbox, 'ejento'),
					{ projectId: '999' },
					'18',
				),
			).status,
		).toBe('not_found');
		expect(sandbox.ejento.isMember(151, 18)).toBe(true);
	});

	it('refuses non-integer ids before sending anything', async () => {
		const before = sandbox.ejento.requests.length;
		for (const id of ['007', '0', '1e3', '9007199254740993', '../16', '16/x']) {
			const result = await removeWith(sandbox, 'ejento', demoClient(sandbox, 'ejento'), ej, id);
			expect(result.sent).toBe(false);
		}
		expect(sandbox.ejento.requests.length).toBe(before);
	});

	it('fails a bad token as unauthorized', async () => {
		const client = {
			transport: createFetchTransport({ authenticate: bearer('nope') }),
			secrets: ['nope'],
		};
		expect(verdictOf(await removeWith(sandbox, 'ejento', client, ej, '16'))).toMatchObject({
			kind: 'unauthorized',
			httpStatus: 401,
		});
	});
});

describe('Flashback', () => {
	it('removes a workspace member, then reports not_found', async () => {
		sandbox.flashback.addMember(fb.workspaceId, 'fb_1');
		const client = demoClient(sandbox, 'flashback');
		expect(verdictOf(await removeWith(sandbox, 'flashback', client, fb, 'fb_1')).status).toBe(
			'removed',
		);
		expect(sandbox.flashback.isMember(fb.workspaceId, 'fb_1')).toBe(false);
		expect(verdictOf(await removeWith(sandbox, 'flashback', client, fb, 'fb_1'))).toEqual({
			kind: 'not_there',
			status: 'not_found',
			httpStatus: 404,
			reason: 'Flashback says the user is not there (404: User not found in workspace)',
		});
	});

	it('fails an unknown workspace as a permission problem with a scope hint', async () => {
		sandbox.flashback.addMember(fb.workspaceId, 'fb_2');
		const verdict = verdictOf(
			await removeWith(
				sandbox,
				'flashback',
				demoClient(sandbox, 'flashback'),
				{ workspaceId: 'ws_typo' },
				'fb_2',
			),
		);
		expect(verdict).toMatchObject({ kind: 'forbidden', status: 'failed', httpStatus: 403 });
		expect(verdict.reason).toContain('also check the workspace id');
		expect(sandbox.flashback.isMember(fb.workspaceId, 'fb_2')).toBe(true);
	});

	it("skips the credential's own account (self-removal)", async () => {
		const verdict = verdictOf(
			await removeWith(
				sandbox,
				'flashback',
				demoClient(sandbox, 'flashback'),
				fb,
				DEMO_CREDENTIALS.flashback.accountId,
			),
		);
		expect(verdict).toMatchObject({ kind: 'self_removal', status: 'skipped', httpStatus: 403 });
		expect(sandbox.flashback.isMember(fb.workspaceId, DEMO_CREDENTIALS.flashback.accountId)).toBe(
			true,
		);
	});

	it('fails an unvalidated account with the vendor message', async () => {
		sandbox.flashback.addMember(fb.workspaceId, 'fb_unvalidated', false);
		const verdict = verdictOf(
			await removeWith(
				sandbox,
				'flashback',
				demoClient(sandbox, 'flashback'),
				fb,
				'fb_unvalidated',
			),
		);
		expect(verdict).toMatchObject({ kind: 'rejected', status: 'failed', httpStatus: 400 });
		expect(verdict.reason).toContain('User not found or account is not validated');
	});

	it('fails a bad token as unauthorized', async () => {
		const client = {
			transport: createFetchTransport({ authenticate: bearer('nope') }),
			secrets: ['nope'],
		};
		expect(verdictOf(await removeWith(sandbox, 'flashback', client, fb, 'fb_2'))).toMatchObject({
			kind: 'unauthorized',
			httpStatus: 401,
		});
	});
});

describe('Mudbase', () => {
	it('logs in, removes a participant, then reports not_found', async () => {
		sandbox.mudbase.addParticipant(mb.projectId, mb.chatId, 'usr_1');
		const client = demoClient(sandbox, 'mudbase');
		const logins = sandbox.mudbase.loginCount;
		expect(verdictOf(await removeWith(sandbox, 'mudbase', client, mb, 'usr_1')).status).toBe(
			'removed',
		);
		expect(sandbox.mudbase.isParticipant(mb.projectId, mb.chatId, 'usr_1')).toBe(false);
		expect(verdictOf(await removeWith(sandbox, 'mudbase', client, mb, 'usr_1'))).toEqual({
			kind: 'not_there',
			status: 'not_found',
			httpStatus: 400,
			reason: 'Mudbase says the user is not there (400: User is not a participant of this chat)',
		});
		expect(sandbox.mudbase.loginCount).toBe(logins + 1);
	});

	it('fails an unknown chat as wrong scope', async () => {
		const verdict = verdictOf(
			await removeWith(
				sandbox,
				'mudbase',
				demoClient(sandbox, 'mudbase'),
				{ ...mb, chatId: 'nope' },
				'usr_1',
			),
		);
		expect(verdict).toMatchObject({ kind: 'wrong_scope', status: 'failed', httpStatus: 404 });
	});

	it('answers 401 to an expired token and to a forged one', async () => {
		sandbox.mudbase.addParticipant(mb.projectId, mb.chatId, 'usr_2');
		const expired = await sandbox.mudbase.issueToken('usr_admin', 'admin@sandbox.test', -10);
		const forged = `${expired.split('.').slice(0, 2).join('.')}.AAAA`;
		for (const token of [expired, forged]) {
			const client = {
				transport: createFetchTransport({ authenticate: bearer(token) }),
				secrets: [token],
			};
			expect(verdictOf(await removeWith(sandbox, 'mudbase', client, mb, 'usr_2'))).toMatchObject({
				kind: 'unauthorized',
				httpStatus: 401,
			});
		}
		expect(sandbox.mudbase.isParticipant(mb.projectId, mb.chatId, 'usr_2')).toBe(true);
	});

	it('answers a missing userId with a validation 400, which is failed, not not_found', async () => {
		const token = await sandbox.mudbase.issueToken('usr_admin', 'admin@sandbox.test');
		const transport = createFetchTransport({ authenticate: bearer(token) });
		const response = await transport.send({
			method: 'DELETE',
			url: `${sandbox.baseUrls.mudbase}/api/chat/projects/${mb.projectId}/chats/${mb.chatId}/participants`,
			headers: {},
			body: {},
			timeoutMs: 5000,
		});
		const { classifyResponse, SYSTEMS } = await import('../../src/systems');
		expect(classifyResponse(SYSTEMS.mudbase, response)).toMatchObject({
			kind: 'rejected',
			status: 'failed',
			httpStatus: 400,
		});
	});

	it('issues short-lived HS256 tokens that expire', async () => {
		sandbox.mudbase.addParticipant(mb.projectId, mb.chatId, 'usr_3');
		const token = await sandbox.mudbase.issueToken('usr_admin', 'admin@sandbox.test', 1);
		const [header, payload] = token
			.split('.')
			.slice(0, 2)
			.map((part) => JSON.parse(Buffer.from(part, 'base64url').toString()));
		expect(header).toEqual({ alg: 'HS256', typ: 'JWT' });
		expect(payload.exp - payload.iat).toBe(1);
		expect(payload.sub).toBe('usr_admin');
		await new Promise((resolve) => setTimeout(resolve, 2100));
		const client = {
			transport: createFetchTransport({ authenticate: bearer(token) }),
			secrets: [token],
		};
		expect(verdictOf(await removeWith(sandbox, 'mudbase', client, mb, 'usr_3'))).toMatchObject({
			kind: 'unauthorized',
		});
	});
});

describe('hostile ids', () => {
	const hostile = [
		'../victim',
		'victim/..',
		'x/../../victim',
		'%2e%2e',
		'%2Fvictim',
		'a/b?c',
		'victim?x=1',
		'victim#x',
		' victim/ ',
		'Zoë 🚀',
	];

	it.each([
		['productAccess', pa],
		['flashback', fb],
		['mudbase', mb],
	] as const)(
		'%s: every hostile id stays one segment; nobody else is touched',
		async (system, scope) => {
			sandbox.productAccess.addMember(pa.productId, {
				id: 'victim',
				email: 'victim@example.com',
				name: 'V',
			});
			sandbox.flashback.addMember(fb.workspaceId, 'victim');
			sandbox.mudbase.addParticipant(mb.projectId, mb.chatId, 'victim');
			const client = demoClient(sandbox, system);
			const allowed = { allowUnsafePathCharacters: true };
			for (const id of hostile) {
				// Refused by default where the id goes into the path (Mudbase's goes in the body)…
				const byDefault = await removeWith(sandbox, system, client, scope, id);
				if (system !== 'mudbase' && /[/\\?#%]/.test(id))
					expect({ id, sent: byDefault.sent }).toEqual({ id, sent: false });
				// …and when a user allows it, it stays inside its one segment.
				const verdict = verdictOf(
					await removeWith(sandbox, system, client, scope, id, 5000, allowed),
				);
				expect({ id, status: verdict.status }).toEqual({ id, status: 'not_found' });
			}
			for (const id of ['..', '.', '', 'a\u0000b', 'a\r\nb', '\ud800']) {
				expect(await removeWith(sandbox, system, client, scope, id)).toMatchObject({ sent: false });
			}
			expect(sandbox.productAccess.isMember(pa.productId, 'victim')).toBe(true);
			expect(sandbox.flashback.isMember(fb.workspaceId, 'victim')).toBe(true);
			expect(sandbox.mudbase.isParticipant(mb.projectId, mb.chatId, 'victim')).toBe(true);
			expect(sandbox[system].unmatchedRequests()).toEqual([]);
		},
	);

	it('hostile scope ids stay in their segment too', async () => {
		sandbox.flashback.addMember(fb.workspaceId, 'fb_scope');
		const client = demoClient(sandbox, 'flashback');
		for (const workspaceId of [
			`../workspace/${fb.workspaceId}`,
			`${fb.workspaceId}/users/fb_scope`,
			`${fb.workspaceId}?`,
		]) {
			expect(
				await removeWith(sandbox, 'flashback', client, { workspaceId }, 'fb_scope'),
			).toMatchObject({ sent: false }); // refused by default
			const verdict = verdictOf(
				await removeWith(sandbox, 'flashback', client, { workspaceId }, 'fb_scope', 5000, {
					allowUnsafePathCharacters: true,
				}),
			);
			expect(verdict.kind).toBe('forbidden'); // an unknown workspace, not a path into the real one
		}
		expect(sandbox.flashback.isMember(fb.workspaceId, 'fb_scope')).toBe(true);
		expect(sandbox.flashback.unmatchedRequests()).toEqual([]);
	});
});
