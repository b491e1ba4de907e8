import { classifyResponse, SYSTEMS, vendorMessage } from '../../src/systems';
import type { HttpResponse } from '../../src/transport/types';

const { productAccess, productBridge, ejento, flashback, mudbase } = SYSTEMS;

function answer(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponse {
	return { status, headers, body: typeof body === 'string' ? body : JSON.stringify(body) };
}

describe('classifyResponse', () => {
	it('calls removed only the documented success shape, keeping productAccess cancelledAt', () => {
		const body = {
			cancelledAt: '2026-11-27T00:00:00Z',
			suspendedAt: null,
			id: 'm1',
			product: { id: 'p1', title: 'P' },
			createdAt: '2026-01-01T00:00:00Z',
			user: { id: 'u1', name: 'U', image: null },
		};
		expect(classifyResponse(productAccess, answer(200, body))).toEqual({
			kind: 'removed',
			status: 'removed',
			httpStatus: 200,
			reason: 'Product Access confirmed the removal (200)',
			detail: { cancelledAt: '2026-11-27T00:00:00Z', suspendedAt: null },
		});
		expect(classifyResponse(flashback, answer(200, { success: true })).status).toBe('removed');
		expect(classifyResponse(productBridge, answer(200, { success: true })).status).toBe('removed');
		expect(
			classifyResponse(ejento, answer(200, { success: true, message: 'ok', data: [] })).status,
		).toBe('removed');
		expect(
			classifyResponse(mudbase, answer(200, { message: 'Participant removed successfully' }))
				.status,
		).toBe('removed');
	});

	it.each([
		['a truncated body', '{"success":tr'],
		['success false', { success: false }],
		['an empty object', {}],
		['an HTML page', '<html><title>Login</title></html>'],
		['an empty body', ''],
	])('treats a 200 with %s as uncertain, not success', (_, body) => {
		const verdict = classifyResponse(flashback, answer(200, body));
		expect(verdict.kind).toBe('malformed_success');
		expect(verdict.status).toBe('failed');
	});

	it('never follows or trusts a redirect', () => {
		expect(
			classifyResponse(flashback, answer(302, '', { location: 'https://login.test/' })),
		).toEqual({
			kind: 'redirect',
			status: 'failed',
			httpStatus: 302,
			reason:
				'Flashback answered 302 redirecting to https://login.test/; redirects are not followed, so nothing is confirmed: check the base URL',
		});
	});

	it.each([
		[401, 'unauthorized'],
		[408, 'request_timeout'],
		[429, 'rate_limited'],
		[500, 'server_error'],
		[502, 'server_error'],
		[503, 'server_error'],
	] as const)('reads %i as %s', (status, kind) => {
		expect(classifyResponse(ejento, answer(status, { message: 'x' }))).toMatchObject({
			kind,
			status: 'failed',
			httpStatus: status,
		});
	});

	it('reads each system\'s "not there" signature, and only that, as not_found', () => {
		expect(classifyResponse(productAccess, answer(404, { message: 'User not found' })).status).toBe(
			'not_found',
		);
		expect(
			classifyResponse(productBridge, answer(404, { detail: { error: 'user not found' } })).status,
		).toBe('not_found');
		expect(
			classifyResponse(ejento, answer(404, { success: false, message: 'Record Not Found' })).status,
		).toBe('not_found');
		expect(
			classifyResponse(
				flashback,
				answer(404, { success: false, message: 'User not found in workspace' }),
			).status,
		).toBe('not_found');
		expect(
			classifyResponse(mudbase, answer(400, { message: 'User is not a participant of this chat' }))
				.status,
		).toBe('not_found');
		// A 404 from the wrong host or path is not "not there".
		expect(
			classifyResponse(flashback, answer(404, '<html><body><h1>Not Found</h1></body></html>')),
		).toEqual({
			kind: 'rejected',
			status: 'failed',
			httpStatus: 404,
			reason:
				'Flashback answered 404: Not Found, which is not its "not there" answer: check the base URL and scope ids',
		});
	});

	it('reads a wrong scope as failed with a hint, never as not_found', () => {
		expect(classifyResponse(productAccess, answer(404, { message: 'Product not found' }))).toEqual({
			kind: 'wrong_scope',
			status: 'failed',
			httpStatus: 404,
			reason:
				'Product Access answered 404: Product not found: the product id is unknown to this account: check the product id and the base URL',
		});
		expect(classifyResponse(mudbase, answer(404, { message: 'Chat not found' })).kind).toBe(
			'wrong_scope',
		);
		expect(
			classifyResponse(
				flashback,
				answer(403, {
					success: false,
					message: 'Insufficient permissions to manage workspace users',
				}),
			),
		).toEqual({
			kind: 'forbidden',
			status: 'failed',
			httpStatus: 403,
			reason:
				"Flashback answered 403: Insufficient permissions to manage workspace users: the credential's account must be ADMIN of the workspace; also check the workspace id",
		});
	});

	it("skips Flashback's self-removal instead of failing it", () => {
		expect(
			classifyResponse(
				flashback,
				answer(403, { success: false, message: 'Users cannot remove themselves from a workspace' }),
			),
		).toMatchObject({ kind: 'self_removal', status: 'skipped', httpStatus: 403 });
	});

	it('keeps Flashback 400 and Mudbase validation 400 as failed with the vendor message', () => {
		expect(
			classifyResponse(
				flashback,
				answer(400, { success: false, message: 'User not found or account is not validated' }),
			),
		).toEqual({
			kind: 'rejected',
			status: 'failed',
			httpStatus: 400,
			reason:
				'Flashback answered 400: User not found or account is not validated: Flashback cannot tell a missing user from an unvalidated account',
		});
		expect(
			classifyResponse(mudbase, answer(400, { message: 'Validation failed: userId is required' })),
		).toEqual({
			kind: 'rejected',
			status: 'failed',
			httpStatus: 400,
			reason: 'Mudbase refused the request (400: Validation failed: userId is required)',
		});
	});

	it('reads the credential\'s refused login as login_refused, even when it looks like "not there"', () => {
		const login = (status: number, body: unknown): HttpResponse => ({
			...answer(status, body),
			fromLogin: true,
		});
		expect(classifyResponse(mudbase, login(401, { message: 'Invalid email or password' }))).toEqual(
			{
				kind: 'login_refused',
				status: 'failed',
				httpStatus: 401,
				reason:
					"Mudbase refused the credential's login (401: Invalid email or password): check the email and password",
			},
		);
		// Mudbase's own "not there" answer, but from the login: it says nothing about the user.
		const notThere = { message: 'User is not a participant of this chat' };
		expect(classifyResponse(mudbase, answer(400, notThere)).kind).toBe('not_there');
		expect(classifyResponse(mudbase, login(400, notThere)).kind).toBe('login_refused');
		expect(classifyResponse(mudbase, login(404, '<h1>Not Found</h1>')).reason).toBe(
			"Mudbase refused the credential's login (404: Not Found): check the base URL and the login path",
		);
		// A busy login is retried like any busy answer.
		expect(classifyResponse(mudbase, login(503, {})).kind).toBe('server_error');
		expect(classifyResponse(mudbase, login(429, {})).kind).toBe('rate_limited');
	});

	it('uses a replacement "not there" signature when the user sets one', () => {
		const custom = { notThere: { status: 410, message: /gone/i } };
		expect(
			classifyResponse(flashback, answer(410, { message: 'Member gone' }), custom).status,
		).toBe('not_found');
		expect(
			classifyResponse(flashback, answer(404, { message: 'User not found in workspace' }), custom)
				.status,
		).toBe('failed');
	});
});

describe('vendorMessage', () => {
	it('reads the five envelopes and FastAPI validation lists', () => {
		expect(vendorMessage('{"message":"a"}')).toBe('a');
		expect(vendorMessage('{"detail":{"error":"invalid api_key"}}')).toBe('invalid api_key');
		expect(vendorMessage('{"detail":"Not found."}')).toBe('Not found.');
		expect(
			vendorMessage('{"detail":[{"loc":["body","user_id"],"msg":"Input should be a valid UUID"}]}'),
		).toBe('body.user_id: Input should be a valid UUID');
		expect(vendorMessage('<html><head><title>502 Bad Gateway</title></head></html>')).toBe(
			'502 Bad Gateway',
		);
		expect(vendorMessage('')).toBe('(empty body)');
		expect(vendorMessage('x'.repeat(400))).toBe(`${'x'.repeat(300)}…`);
	});
});
