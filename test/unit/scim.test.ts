/**
 * The SCIM 2.0 system as data: the filter's escaping (RFC 7644 §3.4.2.2), the requests it builds,
 * how a lookup's answer reads (found, missing, ambiguous, already deactivated, a server that
 * ignores the filter) and how the change's answers classify (200 resource, 204, SCIM errors).
 */
import {
	buildRemovalRequest,
	classifyResponse,
	type SystemDefinition,
	vendorMessage,
} from '../../src/systems';
import { classifyLookup } from '../../src/systems/classify';
import { buildChangeRequest } from '../../src/systems/request';
import { scimFilter, scimFilterValue, scimSystem } from '../../src/systems/scim';
import type { HttpResponse } from '../../src/transport/types';

const BASE = 'https://app.example.com/scim/v2';
const LIST = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';

function answer(
	status: number,
	body: unknown = '',
	headers: Record<string, string> = {},
): HttpResponse {
	return { status, headers, body: typeof body === 'string' ? body : JSON.stringify(body) };
}

function list(...resources: unknown[]): unknown {
	return { schemas: [LIST], totalResults: resources.length, Resources: resources };
}

const ada = {
	id: 'u-1',
	userName: 'ada@example.com',
	active: true,
	emails: [{ value: 'ada@example.com' }],
};

describe('SCIM filter (RFC 7644 §3.4.2.2)', () => {
	it('writes the comparison value as a JSON string: quotes and backslashes escaped', () => {
		expect(scimFilterValue('a"b\\c')).toBe('"a\\"b\\\\c"');
		expect(scimFilter('userName', 'ada@example.com')).toBe('userName eq "ada@example.com"');
		expect(scimFilter('email', 'O"Neil@example.com')).toBe(
			'emails.value eq "O\\"Neil@example.com"',
		);
	});

	it('puts the filter in the query, percent-encoded, and sends a read first', () => {
		const system = scimSystem({ action: 'deactivate', findBy: 'userName' });
		const built = buildRemovalRequest(system, BASE, {}, 'a+b@example.com');
		expect(built).toEqual({
			ok: true,
			value: {
				method: 'GET',
				url: `${BASE}/Users?filter=userName%20eq%20%22a%2Bb%40example.com%22`,
				headers: {
					accept: 'application/scim+json, application/json',
					'content-type': 'application/scim+json',
				},
			},
		});
	});

	it('allows / and % in a looked-up email (it goes in the query), never in a SCIM id (the path)', () => {
		const byEmail = scimSystem({ action: 'delete', findBy: 'email' });
		expect(buildRemovalRequest(byEmail, BASE, {}, 'a/b%c@example.com').ok).toBe(true);
		const byId = scimSystem({ action: 'deactivate', findBy: 'id' });
		const refused = buildRemovalRequest(byId, BASE, {}, '../Groups/1');
		expect(refused.ok).toBe(false);
	});

	it('Delete by SCIM id sends the DELETE at once; Deactivate by id reads the user first', () => {
		const del = buildRemovalRequest(
			scimSystem({ action: 'delete', findBy: 'id' }),
			BASE,
			{},
			'u 1',
		);
		expect(del.ok && del.value).toEqual({
			method: 'DELETE',
			url: `${BASE}/Users/u%201`,
			headers: {
				accept: 'application/scim+json, application/json',
				'content-type': 'application/scim+json',
			},
		});
		const read = buildRemovalRequest(
			scimSystem({ action: 'deactivate', findBy: 'id' }),
			BASE,
			{},
			'u-1',
		);
		expect(read.ok && [read.value.method, read.value.url]).toEqual(['GET', `${BASE}/Users/u-1`]);
	});

	it('builds the change for the found user: PATCH active=false with If-Match when it has a version', () => {
		const system = scimSystem({ action: 'deactivate', findBy: 'userName' });
		const built = buildChangeRequest(
			system,
			BASE,
			{},
			{ id: 'u-1', version: 'W/"3694e05e9dff591"' },
		);
		expect(built.ok && built.value).toEqual({
			method: 'PATCH',
			url: `${BASE}/Users/u-1`,
			headers: {
				accept: 'application/scim+json, application/json',
				'content-type': 'application/scim+json',
				'if-match': 'W/"3694e05e9dff591"',
			},
			body: {
				schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
				Operations: [{ op: 'replace', path: 'active', value: false }],
			},
		});
		const hostile = buildChangeRequest(system, BASE, {}, { id: '../../Groups/admins' });
		expect(hostile.ok).toBe(false);
	});
});

describe('SCIM lookup answers', () => {
	const byUserName = scimSystem({ action: 'deactivate', findBy: 'userName' }, 'Slack');
	const read = (system: SystemDefinition, response: HttpResponse, value = 'ada@example.com') =>
		classifyLookup(system, response, value);

	it('one exact match (any case) is the target, with its meta.version', () => {
		const found = read(
			byUserName,
			answer(200, list({ ...ada, userName: 'Ada@Example.com', meta: { version: 'W/"7"' } })),
		);
		expect(found).toEqual({
			kind: 'found',
			status: 'failed',
			httpStatus: 200,
			reason: 'Slack found the user (SCIM id u-1)',
			target: { id: 'u-1', version: 'W/"7"' },
		});
	});

	it('ignores a bare ETag header (not a SCIM version)', () => {
		const found = read(byUserName, answer(200, list(ada), { etag: 'W/"5d-abc"' }));
		expect(found.target).toEqual({ id: 'u-1' });
	});

	it('no match: not found, saying what was searched', () => {
		expect(read(byUserName, answer(200, list()))).toEqual({
			kind: 'not_there',
			status: 'not_found',
			httpStatus: 200,
			reason:
				'Slack has no user with userName "ada@example.com" (searched userName eq "ada@example.com")',
		});
	});

	it('two matches: failed as ambiguous, nothing changed', () => {
		const verdict = read(byUserName, answer(200, list(ada, { ...ada, id: 'u-2' })));
		expect([verdict.kind, verdict.status, verdict.reason]).toEqual([
			'rejected',
			'failed',
			'Slack has 2 users with userName "ada@example.com": ambiguous, nothing was changed; give the SCIM id instead',
		]);
	});

	it('more results than shown (paged) with one match: ambiguous too', () => {
		const verdict = read(
			byUserName,
			answer(200, { schemas: [LIST], totalResults: 3, Resources: [ada] }),
		);
		expect(verdict.reason).toMatch(/has 3 users with userName/);
	});

	it('a server that ignores the filter (returns other users): failed, never a guess', () => {
		const other = { ...ada, id: 'u-9', userName: 'bob@example.com', emails: [] };
		const verdict = read(byUserName, answer(200, list(other, ada)));
		expect([verdict.kind, verdict.reason]).toEqual([
			'rejected',
			'Slack answered users that do not match userName eq "ada@example.com" (it may not support filtering on userName): nothing was changed',
		]);
	});

	it('already inactive: not found "already deactivated" for Deactivate; Delete goes on', () => {
		const inactive = { ...ada, active: false };
		expect(read(byUserName, answer(200, list(inactive)))).toEqual({
			kind: 'not_there',
			status: 'not_found',
			httpStatus: 200,
			reason: 'Slack says the user (userName ada@example.com) is already deactivated',
		});
		const deleting = scimSystem({ action: 'delete', findBy: 'email' }, 'Zoom');
		expect(read(deleting, answer(200, list(inactive))).kind).toBe('found');
	});

	it('finds by any email value for Find By Email', () => {
		const byEmail = scimSystem({ action: 'deactivate', findBy: 'email' });
		const user = {
			...ada,
			userName: 'ada',
			emails: [{ value: 'x@example.com' }, { value: 'ADA@example.com' }],
		};
		expect(read(byEmail, answer(200, list(user))).target).toEqual({ id: 'u-1' });
	});

	it('an answer without a ListResponse is failed, not "not found"', () => {
		expect(read(byUserName, answer(200, { users: [] })).kind).toBe('rejected');
		expect(read(byUserName, answer(200, '<html>login</html>')).kind).toBe('rejected');
	});

	it('by id: a User resource; a SCIM 404 is not there; a plain 404 means a wrong base URL', () => {
		const byId = scimSystem({ action: 'deactivate', findBy: 'id' });
		expect(read(byId, answer(200, ada), 'u-1').target).toEqual({ id: 'u-1' });
		const scim404 = answer(404, {
			schemas: [ERROR],
			status: '404',
			detail: 'Resource u-1 not found',
		});
		expect(read(byId, scim404, 'u-1')).toEqual({
			kind: 'not_there',
			status: 'not_found',
			httpStatus: 404,
			reason: 'SCIM says the user is not there (404: Resource u-1 not found)',
		});
		const plain404 = read(byId, answer(404, 'Cannot GET /Users/u-1'), 'u-1');
		expect([plain404.kind, plain404.reason]).toEqual([
			'rejected',
			'SCIM answered 404: Cannot GET /Users/u-1: this 404 is not a SCIM error: check the base URL (it usually ends in /scim/v2)',
		]);
	});

	it('429 and 503 on a lookup mean what they mean for the change', () => {
		expect(read(byUserName, answer(429, '', { 'retry-after': '2' })).kind).toBe('rate_limited');
		expect(read(byUserName, answer(503, '', { 'retry-after': '2' })).kind).toBe('overloaded');
	});
});

describe('SCIM change answers', () => {
	const deactivate = scimSystem({ action: 'deactivate', findBy: 'userName' });
	const del = scimSystem({ action: 'delete', findBy: 'userName' });

	it('PATCH: 200 with active false, or 204, is done; 200 still active is not', () => {
		expect(classifyResponse(deactivate, answer(200, { ...ada, active: false }))).toEqual({
			kind: 'removed',
			status: 'removed',
			httpStatus: 200,
			reason: 'SCIM confirmed the removal (200)',
			detail: { action: 'deactivated' },
		});
		expect(classifyResponse(deactivate, answer(204))).toEqual({
			kind: 'removed',
			status: 'removed',
			httpStatus: 204,
			reason: 'SCIM confirmed the change (204 No Content)',
			detail: { action: 'deactivated' },
		});
		expect(classifyResponse(deactivate, answer(200, ada)).kind).toBe('malformed_success');
	});

	it('DELETE: 204 is done; a SCIM 404 is not there', () => {
		expect(classifyResponse(del, answer(204)).detail).toEqual({ action: 'deleted' });
		expect(
			classifyResponse(del, answer(404, { schemas: [ERROR], status: '404', detail: 'gone' })).kind,
		).toBe('not_there');
	});

	it('412 (If-Match failed) asks for a new lookup', () => {
		expect(
			classifyResponse(deactivate, answer(412, { schemas: [ERROR], status: '412' })).kind,
		).toBe('precondition_failed');
	});

	it('reads the SCIM error body into the reason: scimType and detail', () => {
		expect(
			vendorMessage(
				JSON.stringify({
					schemas: [ERROR],
					status: '400',
					scimType: 'invalidFilter',
					detail: 'Unexpected token',
				}),
			),
		).toBe('invalidFilter: Unexpected token');
		expect(
			vendorMessage(JSON.stringify({ schemas: [ERROR], status: '401', detail: 'Unauthorized' })),
		).toBe('Unauthorized');
	});

	it('a custom header name sends the token raw there; blank or Authorization means Bearer', () => {
		const auth = deactivate.credential.auth;
		expect(auth({ token: 't', headerName: 'X-Api-Token' })).toEqual({
			kind: 'header',
			name: 'X-Api-Token',
			valueField: 'token',
		});
		expect(auth({ token: 't', headerName: ' authorization ' })).toEqual({
			kind: 'bearer',
			tokenField: 'token',
		});
		expect(auth({ token: 't' })).toEqual({ kind: 'bearer', tokenField: 'token' });
	});

	it('configure: the credential picks the action, the node the lookup and the app name', () => {
		const configured = scimSystem().configure?.(
			{ action: 'delete' },
			{ findBy: 'email', appName: ' Zoom ' },
		);
		expect(
			configured && [
				configured.displayName,
				configured.method,
				configured.userIdField,
				configured.userIdLabel,
			],
		).toEqual(['Zoom', 'DELETE', 'email', 'email']);
	});
});
