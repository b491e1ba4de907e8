/**
 * Custom HTTP systems: the settings become a definition (or a refusal naming the setting), ids are
 * validated and encoded like every system's, placeholders fill JSON string values only, and the
 * success / not-there / wrong-scope rules classify answers.
 */
import { buildRemovalRequest, classifyResponse } from '../../src/systems';
import { CustomSystemError, customSystem } from '../../src/systems/custom';
import { basicAuthorization } from '../../src/n8n/credentialAuth';
import { secretsOf } from '../../src/n8n/systems';
import type { HttpResponse } from '../../src/transport/types';

const BASE = 'https://api.example.com/v1';

function answer(status: number, body: unknown = ''): HttpResponse {
	return { status, headers: {}, body: typeof body === 'string' ? body : JSON.stringify(body) };
}

const teams = customSystem({
	appName: 'Notion',
	method: 'POST',
	path: '/teams/{teamId}/members/remove',
	body: '{"member": {"id": "{userId}", "note": "offboarded from {teamId}"}, "notify": false}',
	successStatuses: '200',
	successField: 'data.status=removed',
	notThereStatus: '404',
	notThereMessage: 'no such member',
	wrongScopeStatus: '404',
	wrongScopeMessage: 'team not found',
});

describe('Custom HTTP definition', () => {
	it('takes its scope fields from the placeholders and fills the body values, not its syntax', () => {
		expect(teams.scopeFields.map((f) => f.key)).toEqual(['teamId']);
		const built = buildRemovalRequest(teams, BASE, { teamId: 't/1' }, 'u"1', {
			allowUnsafePathCharacters: true,
		});
		expect(built).toEqual({
			ok: true,
			value: {
				method: 'POST',
				url: `${BASE}/teams/t%2F1/members/remove`,
				headers: {},
				body: { member: { id: 'u"1', note: 'offboarded from t/1' }, notify: false },
			},
		});
	});

	it('refuses an id that would change the path, like every system', () => {
		const byPath = customSystem({ path: '/users/{userId}' });
		expect(buildRemovalRequest(byPath, BASE, {}, '../admin')).toEqual({
			ok: false,
			reason:
				'Custom HTTP user id "../admin" contains / \\ ? # or %, which would be unsafe in a URL path (a proxy that decodes it would see another path): not sent. If this system\'s ids really contain them, allow them in the node\'s options',
		});
	});

	it('classifies: success status + field; a listed 204; another 2xx is uncertain', () => {
		expect(classifyResponse(teams, answer(200, { data: { status: 'removed' } })).kind).toBe(
			'removed',
		);
		expect(classifyResponse(teams, answer(200, { data: { status: 'pending' } })).kind).toBe(
			'malformed_success',
		);
		expect(classifyResponse(teams, answer(202, { data: { status: 'removed' } })).reason).toBe(
			'Notion answered 202, which is not one of its success statuses (200), so the removal is uncertain',
		);
		const plain = customSystem({ successStatuses: '200, 204' });
		expect(classifyResponse(plain, answer(204)).kind).toBe('removed');
	});

	it('tells "not there" from a wrong scope by status and message', () => {
		expect(classifyResponse(teams, answer(404, { message: 'No such member' })).kind).toBe(
			'not_there',
		);
		expect(classifyResponse(teams, answer(404, { message: 'Team not found' }))).toEqual({
			kind: 'wrong_scope',
			status: 'failed',
			httpStatus: 404,
			reason: 'Notion answered 404: Team not found: check the teamId',
		});
		expect(classifyResponse(teams, answer(404, { message: 'Cannot POST' })).kind).toBe('rejected');
	});

	it.each([
		[
			{ path: 'users/{userId}' },
			'Path must start with / and hold no query or fragment (got "users/{userId}")',
		],
		[
			{ path: '/users?id={userId}' },
			'Path must start with / and hold no query or fragment (got "/users?id={userId}")',
		],
		[{ path: '/users/me' }, 'Put {userId} in the Path or the JSON Body: it says who is removed'],
		[{ method: 'GET' }, 'Method must be one of DELETE, POST, PATCH (got "GET")'],
		[
			{ path: '/users/{userId}.json' },
			'Path segment "{userId}.json" must be a placeholder alone, such as {userId} (letters only), or plain text',
		],
		[
			{ path: '/teams/{team2}/users/{userId}' },
			'Path segment "{team2}" must be a placeholder alone, such as {userId} (letters only), or plain text',
		],
		[{ body: '{"id": ' }, 'JSON Body is not JSON: '],
		[{ body: '["{userId}"]' }, 'JSON Body must be a JSON object'],
		[{ successStatuses: '404' }, 'Success Statuses must list 2xx statuses, e.g. 200,204'],
		[{ successStatuses: 'ok' }, 'Success Statuses must be an HTTP status such as 404 (got "ok")'],
		[{ successField: 'true' }, 'Success Field must be path=value (got "true")'],
		[{ notThereMessage: '(' }, 'Not There Message is not a regular expression: '],
	])('refuses %j with a message naming the setting', (settings, message) => {
		expect(() => customSystem(settings)).toThrow(CustomSystemError);
		expect(() => customSystem(settings)).toThrow(message);
	});

	it('places the credential as the user chose: bearer, header, basic or none', () => {
		const auth = teams.credential.auth;
		expect(auth({ authType: 'bearer' })).toEqual({ kind: 'bearer', tokenField: 'token' });
		expect(auth({ authType: 'header', headerName: 'X-Token' })).toEqual({
			kind: 'header',
			name: 'X-Token',
			valueField: 'apiKey',
		});
		expect(auth({ authType: 'basic' })).toEqual({
			kind: 'basic',
			userField: 'username',
			passwordField: 'password',
		});
		expect(auth({ authType: 'none' })).toEqual({ kind: 'none' });
	});
});

describe('HTTP Basic (RFC 7617)', () => {
	it("encodes the RFC's own example", () => {
		expect(
			basicAuthorization({ username: 'Aladdin', password: 'open sesame' }, 'username', 'password'),
		).toBe('Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==');
	});

	it('counts the encoded pair as a secret, so an echo of the header is scrubbed', () => {
		expect(secretsOf({ username: 'Aladdin', password: 'open sesame' })).toEqual([
			'open sesame',
			'QWxhZGRpbjpvcGVuIHNlc2FtZQ==',
		]);
		// No password (another auth type's empty fields): nothing tiny like "Og==" to scrub.
		expect(secretsOf({ username: '', password: '', token: 't0k3n' })).toEqual(['t0k3n']);
	});
});
