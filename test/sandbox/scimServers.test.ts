/**
 * The SCIM test servers (`test/support/scimServers.ts`) and the fault proxy
 * (`test/support/faultProxy.ts`) behave as RFC 7644 says, or as recorded here where the RFC leaves a
 * choice or the library departs from it — what a SCIM client of this project can rely on.
 *
 * scimmy 1.3.5 + scimmy-routers 1.3.2 on Express 4.22.3, as measured by the tests below:
 * - ETag / versions: no meta.version in any resource; ServiceProviderConfig says etag.supported
 *   false; If-Match is ignored (a PATCH with a stale If-Match is applied, no 412). The `ETag` header
 *   every answer with a body carries is Express's weak hash of the body (W/"<len>-<hash>"), not a
 *   resource version; it changes when the body changes. A GET with a matching If-None-Match gets
 *   Express's 304 — unless the request says `Cache-Control: no-cache`, which Node's fetch adds to
 *   every conditional request (so through fetch it is 200).
 * - PATCH: 200 with the whole resource when something changed; 204 with an empty body when nothing
 *   changed (the same PATCH again). Both `{"op":"replace","path":"active","value":false}` and the
 *   Okta/Entra form `{"op":"replace","value":{"active":false}}` work; `op` is case-insensitive
 *   ("Replace"); the string "False" for a boolean is refused (400 invalidValue); the PatchOp
 *   `schemas` is required (400 invalidSyntax without it).
 * - DELETE: 204 with an empty body; again: 404.
 * - POST: 201 with the resource; the same userName again: 409 scimType "uniqueness" (that check is
 *   our ingress handler's, scimmy has none of its own).
 * - Filters: attribute names and operators are case-insensitive (`USERNAME Eq "…"`), values are
 *   compared case-SENSITIVELY with `eq` (RFC 7643 makes userName caseExact=false, so
 *   `userName eq "A@X.TEST"` should find a@x.test; scimmy finds nobody). `emails.value eq` and
 *   `emails[value eq …]` both work — but scimmy's Filter#match throws (400) when any user lacks the
 *   complex attribute named, so our egress matches one user at a time (scimmyServer.cjs). A `\"` inside a filter value is NOT understood: 400
 *   invalidFilter "Unexpected token …" (scimmy's lexer ends the string at the escaped quote), so a
 *   userName holding `"` cannot be looked up by filter. An attribute the schema does not know, or a
 *   comparison with its value missing (`userName eq`), is no error: 200 with totalResults 0.
 *   A comparison operator it does not know (`userName zz "x"`) is 400 invalidFilter.
 * - Lists: `{schemas:[ListResponse], Resources, startIndex, itemsPerPage, totalResults}`;
 *   itemsPerPage is 20 unless `count` is given (count=0: no Resources, totalResults still counted);
 *   a `startIndex` past the end gives the FIRST page again (not an empty page): a client must stop
 *   on startIndex > totalResults, not on an empty Resources.
 * - Errors: `{schemas:["urn:ietf:params:scim:api:messages:2.0:Error"], status:"404", detail}` —
 *   status a string, scimType only where one applies; content-type application/scim+json.
 * - 401 (no token, a wrong one, Basic): the same error shape, status "401", and no
 *   WWW-Authenticate header.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type FaultProxy, startFaultProxy } from '../support/faultProxy';
import { type ScimServer, type SeedUser, startScimServer } from '../support/scimServers';

const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';
const LIST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

const SEED: SeedUser[] = [
	{ userName: 'a@x.test', emails: ['a@x.test'], externalId: 'ext-a', displayName: 'A' },
	{ userName: 'b@x.test', emails: ['b@x.test', 'b.alias@x.test'] },
	{ userName: 'q"uote@x.test', emails: ['quote@x.test'] },
	{ userName: 'noemail@x.test' }, // no emails at all
	{ userName: 'c@x.test', emails: ['c@x.test'], active: false },
];

interface Answer {
	status: number;
	headers: Headers;
	text: string;
	// Tests read SCIM JSON whose shape they check themselves.
	body: Record<string, unknown> & { Resources?: Array<Record<string, unknown>> };
}

async function call(
	base: string,
	token: string | null,
	path: string,
	init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer> {
	const headers: Record<string, string> = { accept: 'application/scim+json', ...init.headers };
	if (token !== null) headers.authorization = `Bearer ${token}`;
	if (init.body !== undefined) headers['content-type'] = 'application/scim+json';
	const response = await fetch(`${base}${path}`, {
		method: init.method ?? 'GET',
		headers,
		body: init.body === undefined ? undefined : JSON.stringify(init.body),
	});
	const text = await response.text();
	return {
		status: response.status,
		headers: response.headers,
		text,
		body: text === '' ? {} : (JSON.parse(text) as Answer['body']),
	};
}

const filterPath = (filter: string, extra = ''): string =>
	`/Users?filter=${encodeURIComponent(filter)}${extra}`;

const deactivate = {
	schemas: [PATCH_SCHEMA],
	Operations: [{ op: 'replace', path: 'active', value: false }],
};
const deactivateValueForm = {
	schemas: [PATCH_SCHEMA],
	Operations: [{ op: 'replace', value: { active: false } }],
};

describe('scimmy SCIM server', () => {
	let server: ScimServer;
	let ids: Record<string, string>;
	const get = (path: string, init?: Parameters<typeof call>[3]): Promise<Answer> =>
		call(server.baseUrl, server.token, path, init);

	beforeEach(async () => {
		server = await startScimServer('scimmy', { users: SEED });
		const state = await server.state();
		ids = Object.fromEntries(state.users.map((u) => [u.userName, u.id]));
	});
	afterEach(async () => {
		await server.stop();
	});

	test('/__state holds the seed with ids, and no mutations', async () => {
		const state = await server.state();
		expect(state.mutations).toEqual([]);
		expect(state.users).toEqual([
			{
				id: ids['a@x.test'],
				userName: 'a@x.test',
				emails: ['a@x.test'],
				active: true,
				externalId: 'ext-a',
			},
			{
				id: ids['b@x.test'],
				userName: 'b@x.test',
				emails: ['b@x.test', 'b.alias@x.test'],
				active: true,
			},
			{
				id: ids['q"uote@x.test'],
				userName: 'q"uote@x.test',
				emails: ['quote@x.test'],
				active: true,
			},
			{ id: ids['noemail@x.test'], userName: 'noemail@x.test', emails: [], active: true },
			{ id: ids['c@x.test'], userName: 'c@x.test', emails: ['c@x.test'], active: false },
		]);
		for (const id of Object.values(ids)) expect(id).toMatch(/^[0-9a-f-]{36}$/);
		expect(server.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/scim\/v2$/);
	});

	test('filter userName eq: exactly one, as a ListResponse', async () => {
		const answer = await get(filterPath('userName eq "a@x.test"'));
		expect(answer.status).toBe(200);
		expect(answer.headers.get('content-type')).toMatch(/^application\/scim\+json/);
		expect(answer.body).toMatchObject({
			schemas: [LIST_SCHEMA],
			totalResults: 1,
			startIndex: 1,
			itemsPerPage: 20,
		});
		expect(answer.body.Resources).toHaveLength(1);
		expect(answer.body.Resources?.[0]).toMatchObject({
			id: ids['a@x.test'],
			userName: 'a@x.test',
			externalId: 'ext-a',
			displayName: 'A',
			active: true,
			emails: [{ value: 'a@x.test', primary: true }],
			meta: { resourceType: 'User', location: `${server.baseUrl}/Users/${ids['a@x.test']}` },
		});
	});

	test('filter: names and operators case-insensitive, userName values case-sensitive', async () => {
		const byUpperName = await get(filterPath('USERNAME Eq "a@x.test"'));
		expect(byUpperName.body.totalResults).toBe(1);
		// RFC 7643 §4.1.1: userName is caseExact=false. scimmy compares with ===.
		const byUpperValue = await get(filterPath('userName eq "A@X.TEST"'));
		expect(byUpperValue.status).toBe(200);
		expect(byUpperValue.body).toMatchObject({ totalResults: 0, Resources: [] });
	});

	test('filter emails.value eq (also a secondary address; a user without emails is no match)', async () => {
		const secondary = await get(filterPath('emails.value eq "b.alias@x.test"'));
		expect(secondary.body.totalResults).toBe(1);
		expect(secondary.body.Resources?.[0]?.id).toBe(ids['b@x.test']);
		const bracket = await get(filterPath('emails[value eq "c@x.test"]'));
		expect(bracket.body.totalResults).toBe(1);
		expect(bracket.body.Resources?.[0]?.id).toBe(ids['c@x.test']);
		const nobody = await get(filterPath('emails.value eq "nobody@x.test"'));
		expect(nobody.body).toMatchObject({ totalResults: 0, Resources: [] });
	});

	test('filter value with an escaped quote: scimmy refuses it (400 invalidFilter)', async () => {
		const answer = await get(filterPath('userName eq "q\\"uote@x.test"'));
		expect(answer.status).toBe(400);
		expect(answer.body).toMatchObject({
			schemas: [ERROR_SCHEMA],
			status: '400',
			scimType: 'invalidFilter',
		});
		expect(String(answer.body.detail)).toContain('Unexpected token');
	});

	test('filter on an unknown attribute or without a value: 200 and nobody; unknown operator: 400', async () => {
		for (const filter of ['nickNameX eq "a@x.test"', 'userName eq']) {
			const answer = await get(filterPath(filter));
			expect(answer.status).toBe(200);
			expect(answer.body).toMatchObject({ totalResults: 0, Resources: [] });
		}
		const unknownOperator = await get(filterPath('userName zz "a@x.test"'));
		expect(unknownOperator.status).toBe(400);
		expect(unknownOperator.body).toMatchObject({ status: '400', scimType: 'invalidFilter' });
	});

	test('pagination: count, startIndex, and a startIndex past the end gives the first page again', async () => {
		const page = await get('/Users?count=2&startIndex=3');
		expect(page.body).toMatchObject({ totalResults: 5, startIndex: 3, itemsPerPage: 2 });
		expect(page.body.Resources?.map((u) => u.userName)).toEqual([
			'q"uote@x.test',
			'noemail@x.test',
		]);
		const none = await get('/Users?count=0');
		expect(none.body).toMatchObject({ totalResults: 5, itemsPerPage: 0, Resources: [] });
		const past = await get('/Users?count=2&startIndex=6');
		expect(past.body).toMatchObject({ totalResults: 5, startIndex: 6, itemsPerPage: 2 });
		expect(past.body.Resources?.map((u) => u.userName)).toEqual(['a@x.test', 'b@x.test']);
	});

	test('GET by id: the resource, no meta.version, a weak ETag from Express, etag unsupported', async () => {
		const answer = await get(`/Users/${ids['b@x.test']}`);
		expect(answer.status).toBe(200);
		expect(answer.body).toMatchObject({
			schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
			id: ids['b@x.test'],
			userName: 'b@x.test',
			active: true,
		});
		expect((answer.body.meta as Record<string, unknown>).version).toBeUndefined();
		expect(answer.headers.get('etag')).toMatch(/^W\/"[0-9a-f]+-[^"]+"$/);
		// A hash of the body, not a version: a change to the user changes it.
		await get(`/Users/${ids['b@x.test']}`, { method: 'PATCH', body: deactivate });
		const changed = await get(`/Users/${ids['b@x.test']}`);
		expect(changed.headers.get('etag')).toMatch(/^W\//);
		expect(changed.headers.get('etag')).not.toBe(answer.headers.get('etag'));
		// Express answers 304 to a matching If-None-Match (seen with curl), but Node's fetch adds
		// `Cache-Control: no-cache` to a conditional request, and with it Express answers 200.
		const conditional = await get(`/Users/${ids['b@x.test']}`, {
			headers: { 'if-none-match': changed.headers.get('etag') ?? '' },
		});
		expect(conditional.status).toBe(200);
		const config = await get('/ServiceProviderConfig');
		expect(config.body).toMatchObject({ etag: { supported: false }, patch: { supported: true } });
	});

	test('GET an unknown id: 404 with the SCIM error schema, status a string', async () => {
		const answer = await get('/Users/00000000-0000-0000-0000-000000000000');
		expect(answer.status).toBe(404);
		expect(answer.headers.get('content-type')).toMatch(/^application\/scim\+json/);
		expect(answer.body.schemas).toContain(ERROR_SCHEMA);
		expect(answer.body.status).toBe('404');
		expect(typeof answer.body.detail).toBe('string');
		expect(answer.body.scimType).toBeUndefined();
	});

	test('PATCH active=false (path form): 200 with the resource, then 204 when nothing changes', async () => {
		const id = ids['a@x.test'];
		const first = await get(`/Users/${id}`, { method: 'PATCH', body: deactivate });
		expect(first.status).toBe(200);
		expect(first.body).toMatchObject({ id, userName: 'a@x.test', active: false });
		expect((await get(`/Users/${id}`)).body.active).toBe(false);
		const again = await get(`/Users/${id}`, { method: 'PATCH', body: deactivate });
		expect(again.status).toBe(204);
		expect(again.text).toBe('');
		const state = await server.state();
		expect(state.mutations.map(({ method, id: changed }) => ({ method, id: changed }))).toEqual([
			{ method: 'PATCH', id },
		]);
		// Bystanders untouched.
		expect(state.users.filter((u) => u.id !== id).map((u) => u.active)).toEqual([
			true,
			true,
			true,
			false,
		]);
	});

	test('PATCH active=false (Okta/Entra value form), op case-insensitive, string "False" refused', async () => {
		const id = ids['b@x.test'];
		const first = await get(`/Users/${id}`, { method: 'PATCH', body: deactivateValueForm });
		expect(first.status).toBe(200);
		expect(first.body.active).toBe(false);
		expect((await get(`/Users/${id}`)).body.active).toBe(false);
		const capitalised = await get(`/Users/${ids['a@x.test']}`, {
			method: 'PATCH',
			body: {
				schemas: [PATCH_SCHEMA],
				Operations: [{ op: 'Replace', path: 'active', value: false }],
			},
		});
		expect(capitalised.status).toBe(200);
		const stringBoolean = await get(`/Users/${ids['noemail@x.test']}`, {
			method: 'PATCH',
			body: {
				schemas: [PATCH_SCHEMA],
				Operations: [{ op: 'replace', path: 'active', value: 'False' }],
			},
		});
		expect(stringBoolean.status).toBe(400);
		expect(stringBoolean.body).toMatchObject({ status: '400', scimType: 'invalidValue' });
		const noSchemas = await get(`/Users/${ids['noemail@x.test']}`, {
			method: 'PATCH',
			body: { Operations: deactivate.Operations },
		});
		expect(noSchemas.status).toBe(400);
		expect(noSchemas.body).toMatchObject({ status: '400', scimType: 'invalidSyntax' });
		const state = await server.state();
		expect(state.mutations.map((m) => [m.method, m.id])).toEqual([
			['PATCH', ids['b@x.test']],
			['PATCH', ids['a@x.test']],
		]);
		expect(state.users.find((u) => u.id === ids['noemail@x.test'])?.active).toBe(true);
	});

	test('PATCH with a stale If-Match is applied anyway (no 412)', async () => {
		const id = ids['a@x.test'];
		const answer = await get(`/Users/${id}`, {
			method: 'PATCH',
			body: deactivate,
			headers: { 'if-match': 'W/"stale"' },
		});
		expect(answer.status).toBe(200);
		expect(answer.body.active).toBe(false);
	});

	test('DELETE: 204 and empty, then GET 404 and DELETE 404; exactly one mutation', async () => {
		const id = ids['c@x.test'];
		const gone = await get(`/Users/${id}`, { method: 'DELETE' });
		expect(gone.status).toBe(204);
		expect(gone.text).toBe('');
		const after = await get(`/Users/${id}`);
		expect(after.status).toBe(404);
		expect(after.body).toMatchObject({ schemas: [ERROR_SCHEMA], status: '404' });
		expect((await get(`/Users/${id}`, { method: 'DELETE' })).status).toBe(404);
		const state = await server.state();
		expect(state.mutations).toEqual([{ method: 'DELETE', id, at: expect.any(Number) }]);
		expect(state.users.map((u) => u.userName)).toEqual([
			'a@x.test',
			'b@x.test',
			'q"uote@x.test',
			'noemail@x.test',
		]);
	});

	test('POST: 201 with a new id, 409 uniqueness for a taken userName', async () => {
		const body = {
			schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
			userName: 'new@x.test',
		};
		const created = await get('/Users', { method: 'POST', body });
		expect(created.status).toBe(201);
		expect(created.body.id).toMatch(/^[0-9a-f-]{36}$/);
		const taken = await get('/Users', { method: 'POST', body });
		expect(taken.status).toBe(409);
		expect(taken.body).toMatchObject({
			schemas: [ERROR_SCHEMA],
			status: '409',
			scimType: 'uniqueness',
		});
		const state = await server.state();
		expect(state.mutations.map((m) => [m.method, m.id])).toEqual([['POST', created.body.id]]);
		expect(state.users).toHaveLength(6);
	});

	test('401 without the token, with a wrong one or Basic; /__state needs it too', async () => {
		const attempts: Array<Record<string, string>> = [
			{},
			{ authorization: 'Bearer wrong' },
			{ authorization: `Basic ${Buffer.from(`x:${server.token}`).toString('base64')}` },
		];
		for (const headers of attempts) {
			const answer = await call(server.baseUrl, null, '/Users', { headers });
			expect(answer.status).toBe(401);
			expect(answer.body).toMatchObject({ schemas: [ERROR_SCHEMA], status: '401' });
			expect(answer.headers.get('www-authenticate')).toBeNull();
		}
		const state = await fetch(`${server.baseUrl.replace('/scim/v2', '')}/__state`);
		expect(state.status).toBe(401);
		const lowercaseScheme = await call(server.baseUrl, null, '/Users', {
			headers: { authorization: `bearer ${server.token}` },
		});
		expect(lowercaseScheme.status).toBe(200);
	});
});

/**
 * Better Auth 1.7.5 + @better-auth/scim 1.7.5 (memory adapter), as measured by the tests below:
 * - ids: 32-character random strings, not UUIDs. A user seeded without emails gets its userName
 *   as its email (Better Auth needs one for the user it links).
 * - ETag / versions: no ETag header, no meta.version, etag.supported false; If-Match ignored.
 * - PATCH: 200 with the whole resource, also when nothing changed (never 204); both the path form
 *   and the Okta/Entra value form work; the Entra string "True"/"False" for active is accepted;
 *   `schemas` is required (400 invalidValue); a body whose content-type is neither
 *   application/scim+json nor application/json is 415.
 * - DELETE: 204, then 404. POST of a taken userName: 409 uniqueness.
 * - Filters: only `<attribute> eq "<value>"` (userName, externalId, emails.value, …; names and `eq`
 *   case-insensitive), values compared case-INSENSITIVELY for userName (as RFC 7643 says), `\"`
 *   understood. Anything else is 400 invalidFilter: an unknown or unsupported attribute (`active`
 *   too), a missing value, another operator, `emails[value eq …]`.
 * - Lists: itemsPerPage is the number of Resources returned (not the page size asked for); a
 *   startIndex past the end gives an empty page; count=0 gives totalResults only. No sort, no Bulk.
 * - Errors: the RFC shape, status a string; 401 carries `WWW-Authenticate: Bearer realm="SCIM"`.
 */
describe('Better Auth SCIM server', () => {
	let server: ScimServer;
	let ids: Record<string, string>;
	const get = (path: string, init?: Parameters<typeof call>[3]): Promise<Answer> =>
		call(server.baseUrl, server.token, path, init);

	beforeEach(async () => {
		server = await startScimServer('betterAuth', { users: SEED });
		const state = await server.state();
		ids = Object.fromEntries(state.users.map((u) => [u.userName, u.id]));
	});
	afterEach(async () => {
		await server.stop();
	});

	test('/__state holds the seed with ids, and no mutations', async () => {
		const state = await server.state();
		expect(state.mutations).toEqual([]);
		expect(state.users).toEqual([
			{
				id: ids['a@x.test'],
				userName: 'a@x.test',
				emails: ['a@x.test'],
				active: true,
				externalId: 'ext-a',
			},
			{
				id: ids['b@x.test'],
				userName: 'b@x.test',
				emails: ['b@x.test', 'b.alias@x.test'],
				active: true,
			},
			{
				id: ids['q"uote@x.test'],
				userName: 'q"uote@x.test',
				emails: ['quote@x.test'],
				active: true,
			},
			{
				id: ids['noemail@x.test'],
				userName: 'noemail@x.test',
				emails: ['noemail@x.test'],
				active: true,
			},
			{ id: ids['c@x.test'], userName: 'c@x.test', emails: ['c@x.test'], active: false },
		]);
		for (const id of Object.values(ids)) expect(id).toMatch(/^[A-Za-z0-9]{32}$/);
	});

	test('filter userName eq: exactly one, case-insensitive, and an escaped quote works', async () => {
		const answer = await get(filterPath('userName eq "a@x.test"'));
		expect(answer.status).toBe(200);
		expect(answer.headers.get('content-type')).toMatch(/^application\/scim\+json/);
		expect(answer.body).toMatchObject({
			schemas: [LIST_SCHEMA],
			totalResults: 1,
			startIndex: 1,
			itemsPerPage: 1,
		});
		expect(answer.body.Resources).toHaveLength(1);
		expect(answer.body.Resources?.[0]).toMatchObject({
			id: ids['a@x.test'],
			userName: 'a@x.test',
			externalId: 'ext-a',
			active: true,
			meta: { resourceType: 'User', location: `${server.baseUrl}/Users/${ids['a@x.test']}` },
		});
		expect((await get(filterPath('USERNAME Eq "A@X.TEST"'))).body.totalResults).toBe(1);
		const quoted = await get(filterPath('userName eq "q\\"uote@x.test"'));
		expect(quoted.body.totalResults).toBe(1);
		expect(quoted.body.Resources?.[0]?.id).toBe(ids['q"uote@x.test']);
	});

	test('filter emails.value eq; other filter forms are 400 invalidFilter', async () => {
		const secondary = await get(filterPath('emails.value eq "b.alias@x.test"'));
		expect(secondary.body.totalResults).toBe(1);
		expect(secondary.body.Resources?.[0]?.id).toBe(ids['b@x.test']);
		for (const filter of [
			'nickNameX eq "x"',
			'active eq false',
			'userName eq',
			'userName zz "x"',
			'emails[value eq "c@x.test"]',
		]) {
			const answer = await get(filterPath(filter));
			expect(answer.status).toBe(400);
			expect(answer.body).toMatchObject({
				schemas: [ERROR_SCHEMA],
				status: '400',
				scimType: 'invalidFilter',
			});
		}
	});

	test('pagination: itemsPerPage counts what came back; past the end is an empty page', async () => {
		const page = await get('/Users?count=2&startIndex=3');
		expect(page.body).toMatchObject({ totalResults: 5, startIndex: 3, itemsPerPage: 2 });
		expect(page.body.Resources?.map((u) => u.userName)).toEqual([
			'q"uote@x.test',
			'noemail@x.test',
		]);
		const past = await get('/Users?count=2&startIndex=9');
		expect(past.body).toMatchObject({
			totalResults: 5,
			startIndex: 9,
			itemsPerPage: 0,
			Resources: [],
		});
		expect((await get('/Users?count=0')).body).toMatchObject({ totalResults: 5, Resources: [] });
	});

	test('GET by id: no ETag, no meta.version; unknown id: 404 SCIM error', async () => {
		const answer = await get(`/Users/${ids['b@x.test']}`);
		expect(answer.status).toBe(200);
		expect(answer.body).toMatchObject({ id: ids['b@x.test'], userName: 'b@x.test', active: true });
		expect(answer.headers.get('etag')).toBeNull();
		expect((answer.body.meta as Record<string, unknown>).version).toBeUndefined();
		const missing = await get('/Users/nobody');
		expect(missing.status).toBe(404);
		expect(missing.body.schemas).toContain(ERROR_SCHEMA);
		expect(missing.body.status).toBe('404');
	});

	test('PATCH active=false, both forms: 200 each time, one mutation per real change', async () => {
		const a = ids['a@x.test'];
		const b = ids['b@x.test'];
		const first = await get(`/Users/${a}`, { method: 'PATCH', body: deactivate });
		expect(first.status).toBe(200);
		expect(first.body.active).toBe(false);
		const again = await get(`/Users/${a}`, { method: 'PATCH', body: deactivate });
		expect(again.status).toBe(200);
		expect(again.body.active).toBe(false);
		const valueForm = await get(`/Users/${b}`, { method: 'PATCH', body: deactivateValueForm });
		expect(valueForm.status).toBe(200);
		expect((await get(`/Users/${b}`)).body.active).toBe(false);
		const state = await server.state();
		expect(state.mutations.map((m) => [m.method, m.id])).toEqual([
			['PATCH', a],
			['PATCH', b],
		]);
		expect(state.users.map((u) => u.active)).toEqual([false, false, true, true, false]);
	});

	test('DELETE: 204, then 404; 401 with WWW-Authenticate', async () => {
		const id = ids['c@x.test'];
		const gone = await get(`/Users/${id}`, { method: 'DELETE' });
		expect(gone.status).toBe(204);
		expect(gone.text).toBe('');
		expect((await get(`/Users/${id}`)).status).toBe(404);
		expect((await get(`/Users/${id}`, { method: 'DELETE' })).status).toBe(404);
		const state = await server.state();
		expect(state.mutations).toEqual([{ method: 'DELETE', id, at: expect.any(Number) }]);
		expect(state.users).toHaveLength(4);
		const refused = await call(server.baseUrl, null, '/Users');
		expect(refused.status).toBe(401);
		expect(refused.body).toMatchObject({ schemas: [ERROR_SCHEMA], status: '401' });
		expect(refused.headers.get('www-authenticate')).toBe('Bearer realm="SCIM"');
	});

	test('behind the fault proxy: actThenReset deletes once though the client heard nothing', async () => {
		const proxy = await startFaultProxy(server.baseUrl, [
			{ method: 'DELETE', fault: { kind: 'actThenReset' }, times: 1 },
		]);
		try {
			const id = ids['a@x.test'];
			await expect(
				call(proxy.url, server.token, `/Users/${id}`, { method: 'DELETE' }),
			).rejects.toThrow();
			expect(
				(await call(proxy.url, server.token, `/Users/${id}`, { method: 'DELETE' })).status,
			).toBe(404);
			expect((await server.state()).mutations.map((m) => [m.method, m.id])).toEqual([
				['DELETE', id],
			]);
			expect(proxy.log.map((e) => [e.fault, e.status])).toEqual([
				['actThenReset', 204],
				[undefined, 404],
			]);
		} finally {
			await proxy.stop();
		}
	});
});

describe('startScimServer', () => {
	test('stops by PID: the port no longer answers', async () => {
		const server = await startScimServer('scimmy', { token: 'fixed-token', users: [] });
		expect(server.token).toBe('fixed-token');
		expect((await server.state()).users).toEqual([]);
		await server.stop();
		expect(() => process.kill(server.pid, 0)).toThrow();
		await expect(fetch(`${server.baseUrl}/Users`)).rejects.toThrow();
	});
});

describe('fault proxy', () => {
	let server: ScimServer;
	let proxy: FaultProxy | undefined;
	let ids: Record<string, string>;

	beforeEach(async () => {
		server = await startScimServer('scimmy', { users: SEED });
		ids = Object.fromEntries((await server.state()).users.map((u) => [u.userName, u.id]));
	});
	afterEach(async () => {
		await proxy?.stop();
		proxy = undefined;
		await server.stop();
	});

	test('unmatched requests pass through; the URL keeps the target base path', async () => {
		proxy = await startFaultProxy(server.baseUrl, []);
		expect(proxy.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/scim\/v2$/);
		const proxied = await call(proxy.url, server.token, `/Users/${ids['a@x.test']}`);
		expect(proxied.status).toBe(200);
		expect(proxied.body.id).toBe(ids['a@x.test']);
		expect(proxied.headers.get('etag')).toMatch(/^W\//);
		// The Host header is forwarded as the client sent it, so scimmy's locations name the proxy.
		expect(proxied.body.meta).toMatchObject({ location: `${proxy.url}/Users/${ids['a@x.test']}` });
		expect(proxy.log).toEqual([
			{ method: 'GET', path: `/scim/v2/Users/${ids['a@x.test']}`, status: 200 },
		]);
	});

	test('429 with Retry-After, once, then forwarded; rules taken in order', async () => {
		proxy = await startFaultProxy(server.baseUrl, [
			{
				method: 'GET',
				pathIncludes: '/Users',
				fault: { kind: 'status', status: 429, retryAfter: '7' },
				times: 1,
			},
			{ method: 'GET', fault: { kind: 'status', status: 503, body: 'down for a bit' }, times: 1 },
		]);
		const throttled = await call(proxy.url, server.token, '/Users');
		expect(throttled.status).toBe(429);
		expect(throttled.headers.get('retry-after')).toBe('7');
		const unavailable = await fetch(`${proxy.url}/Users`, {
			headers: { authorization: `Bearer ${server.token}` },
		});
		expect(unavailable.status).toBe(503);
		expect(await unavailable.text()).toBe('down for a bit');
		const through = await call(proxy.url, server.token, '/Users');
		expect(through.status).toBe(200);
		expect(through.body.totalResults).toBe(5);
		expect(proxy.log.map((e) => [e.fault, e.status])).toEqual([
			['status429', 429],
			['status503', 503],
			[undefined, 200],
		]);
	});

	test('a rule for another method leaves the request alone', async () => {
		proxy = await startFaultProxy(server.baseUrl, [
			{ method: 'DELETE', fault: { kind: 'status', status: 500 }, times: 1 },
		]);
		expect((await call(proxy.url, server.token, '/Users')).status).toBe(200);
		const refused = await call(proxy.url, server.token, `/Users/${ids['a@x.test']}`, {
			method: 'DELETE',
		});
		expect(refused.status).toBe(500);
		expect((await server.state()).mutations).toEqual([]);
	});

	test('reset: the client gets no answer and the server never saw the request', async () => {
		proxy = await startFaultProxy(server.baseUrl, [
			{ method: 'DELETE', fault: { kind: 'reset' }, times: 1 },
		]);
		const id = ids['a@x.test'];
		await expect(
			call(proxy.url, server.token, `/Users/${id}`, { method: 'DELETE' }),
		).rejects.toThrow();
		expect((await server.state()).mutations).toEqual([]);
		const retried = await call(proxy.url, server.token, `/Users/${id}`, { method: 'DELETE' });
		expect(retried.status).toBe(204);
		expect((await server.state()).mutations.map((m) => [m.method, m.id])).toEqual([['DELETE', id]]);
		expect(proxy.log.map((e) => [e.method, e.fault, e.status])).toEqual([
			['DELETE', 'reset', undefined],
			['DELETE', undefined, 204],
		]);
	});

	test('actThenReset: the server acted, the client got no answer', async () => {
		proxy = await startFaultProxy(server.baseUrl, [
			{ method: 'PATCH', fault: { kind: 'actThenReset' }, times: 1 },
		]);
		const id = ids['b@x.test'];
		await expect(
			call(proxy.url, server.token, `/Users/${id}`, { method: 'PATCH', body: deactivate }),
		).rejects.toThrow();
		const state = await server.state();
		expect(state.mutations.map((m) => [m.method, m.id])).toEqual([['PATCH', id]]);
		expect(state.users.find((u) => u.id === id)?.active).toBe(false);
		expect(proxy.log).toEqual([
			{ method: 'PATCH', path: `/scim/v2/Users/${id}`, fault: 'actThenReset', status: 200 },
		]);
		// The same PATCH again: 204, nothing changed, still exactly one mutation.
		const retried = await call(proxy.url, server.token, `/Users/${id}`, {
			method: 'PATCH',
			body: deactivate,
		});
		expect(retried.status).toBe(204);
		expect((await server.state()).mutations).toHaveLength(1);
	});

	test('delayMs holds the request, then forwards it', async () => {
		proxy = await startFaultProxy(server.baseUrl, [
			{ fault: { kind: 'delayMs', ms: 300 }, times: 1 },
		]);
		const started = Date.now();
		const answer = await call(proxy.url, server.token, '/Users?count=1');
		expect(answer.status).toBe(200);
		expect(Date.now() - started).toBeGreaterThanOrEqual(290);
		expect(proxy.log).toEqual([
			{ method: 'GET', path: '/scim/v2/Users?count=1', fault: 'delayMs', status: 200 },
		]);
	});

	test('forwards method, path, query, headers (If-Match, Authorization, Host) and body untouched', async () => {
		const seen: Array<{
			method?: string;
			url?: string;
			headers: IncomingHttpHeaders;
			body: string;
		}> = [];
		const echo = createServer((req, res) => {
			let body = '';
			req.on('data', (chunk: Buffer) => (body += chunk.toString()));
			req.on('end', () => {
				seen.push({ method: req.method, url: req.url, headers: req.headers, body });
				res.writeHead(412, { etag: 'W/"v2"', 'content-type': 'application/scim+json' });
				res.end('{"status":"412"}');
			});
		});
		await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
		const { port } = echo.address() as AddressInfo;
		try {
			proxy = await startFaultProxy(`http://127.0.0.1:${port}/scim/v2`, []);
			const body = JSON.stringify(deactivate);
			const answer = await fetch(`${proxy.url}/Users/u%201?attributes=active`, {
				method: 'PATCH',
				headers: {
					authorization: 'Bearer t',
					'if-match': 'W/"v1"',
					'content-type': 'application/scim+json',
					'x-custom': 'kept',
				},
				body,
			});
			expect(answer.status).toBe(412);
			expect(answer.headers.get('etag')).toBe('W/"v2"');
			expect(await answer.text()).toBe('{"status":"412"}');
			expect(seen).toHaveLength(1);
			expect(seen[0]).toMatchObject({
				method: 'PATCH',
				url: '/scim/v2/Users/u%201?attributes=active',
				body,
			});
			expect(seen[0].headers).toMatchObject({
				authorization: 'Bearer t',
				'if-match': 'W/"v1"',
				'content-type': 'application/scim+json',
				'x-custom': 'kept',
				host: new URL(proxy.url).host,
			});
		} finally {
			await new Promise<void>((resolve) => echo.close(() => resolve()));
		}
	});
});
