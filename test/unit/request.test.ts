import { buildRemovalRequest, normalizeBaseUrl, SYSTEMS } from '../../src/systems';

const { productAccess, productBridge, ejento, flashback, mudbase } = SYSTEMS;

describe('buildRemovalRequest', () => {
	it('builds each documented call', () => {
		expect(
			buildRemovalRequest(
				productAccess,
				'https://pa.test/api/v1/products/',
				{ productId: 'p1' },
				'a.b+c-d@x.io',
			),
		).toEqual({
			ok: true,
			value: {
				method: 'DELETE',
				url: 'https://pa.test/api/v1/products/p1/users/a.b%2Bc-d%40x.io',
				headers: {},
			},
		});
		expect(
			buildRemovalRequest(
				productBridge,
				'https://api.productbridge.io',
				{},
				'bb3c3ef8-b8cd-cd15-01ba-useruser0001',
			),
		).toEqual({
			ok: true,
			value: {
				method: 'POST',
				url: 'https://api.productbridge.io/api/external/v1/users/delete',
				headers: {},
				body: { user_id: 'bb3c3ef8-b8cd-cd15-01ba-useruser0001' },
			},
		});
		expect(buildRemovalRequest(ejento, 'https://ej.test', { projectId: '151' }, '16')).toEqual({
			ok: true,
			value: { method: 'DELETE', url: 'https://ej.test/api/project/151/user/16', headers: {} },
		});
		expect(
			buildRemovalRequest(
				flashback,
				'https://backend.flashback.tech',
				{ workspaceId: 'ws 1' },
				'user-456',
			),
		).toEqual({
			ok: true,
			value: {
				method: 'DELETE',
				url: 'https://backend.flashback.tech/workspace/ws%201/users/user-456',
				headers: {},
			},
		});
		expect(
			buildRemovalRequest(
				mudbase,
				'https://mb.test',
				{ projectId: 'proj_CE5hbCg5EPjP', chatId: 'VL0TZudKjN6SiWtV' },
				'usr_CuXGNqCoY9JGW0',
			),
		).toEqual({
			ok: true,
			value: {
				method: 'DELETE',
				url: 'https://mb.test/api/chat/projects/proj_CE5hbCg5EPjP/chats/VL0TZudKjN6SiWtV/participants',
				headers: {},
				body: { userId: 'usr_CuXGNqCoY9JGW0' },
			},
		});
	});

	it.each([
		['../x', 'https://fb.test/workspace/ws/users/..%2Fx'],
		['a/b?c', 'https://fb.test/workspace/ws/users/a%2Fb%3Fc'],
		['%2e%2e', 'https://fb.test/workspace/ws/users/%252e%252e'],
		['%2F', 'https://fb.test/workspace/ws/users/%252F'],
		['x#y', 'https://fb.test/workspace/ws/users/x%23y'],
		['a\\b', 'https://fb.test/workspace/ws/users/a%5Cb'],
	])(
		'refuses %j in a path by default, and keeps it inside its own segment when allowed',
		(id, url) => {
			const refused = buildRemovalRequest(flashback, 'https://fb.test', { workspaceId: 'ws' }, id);
			expect(refused).toEqual({
				ok: false,
				reason: `Flashback user id "${id}" contains / \\ ? # or %, which would be unsafe in a URL path (a proxy that decodes it would see another path): not sent. If this system's ids really contain them, allow them in the node's options`,
			});
			const allowed = buildRemovalRequest(flashback, 'https://fb.test', { workspaceId: 'ws' }, id, {
				allowUnsafePathCharacters: true,
			});
			expect(allowed).toEqual({ ok: true, value: { method: 'DELETE', url, headers: {} } });
		},
	);

	it('refuses path characters in scope ids too, and never restricts ids sent in a JSON body', () => {
		expect(
			buildRemovalRequest(mudbase, 'https://mb.test', { projectId: 'p/1', chatId: 'c' }, 'u'),
		).toMatchObject({
			ok: false,
			reason: expect.stringMatching(/^Mudbase project id "p\/1" contains/),
		});
		expect(
			buildRemovalRequest(mudbase, 'https://mb.test', { projectId: 'p', chatId: 'c' }, 'u/../x%'),
		).toMatchObject({ ok: true, value: { body: { userId: 'u/../x%' } } });
		expect(buildRemovalRequest(productBridge, 'https://pb.test', {}, 'a/b?c#d%')).toMatchObject({
			ok: true,
			value: { body: { user_id: 'a/b?c#d%' } },
		});
	});

	it('keeps unicode inside its own path segment', () => {
		expect(buildRemovalRequest(flashback, 'https://fb.test', { workspaceId: 'ws' }, 'Zoë')).toEqual(
			{
				ok: true,
				value: {
					method: 'DELETE',
					url: 'https://fb.test/workspace/ws/users/Zo%C3%AB',
					headers: {},
				},
			},
		);
	});

	it('refuses ids that can never be valid, naming the system and the field', () => {
		expect(buildRemovalRequest(flashback, 'https://fb.test', { workspaceId: 'ws' }, '..')).toEqual({
			ok: false,
			reason: 'Flashback user id ".." is not an id (it would change the path)',
		});
		expect(
			buildRemovalRequest(mudbase, 'https://mb.test', { projectId: 'p', chatId: '.' }, 'u'),
		).toEqual({
			ok: false,
			reason: 'Mudbase chat id "." is not an id (it would change the path)',
		});
		expect(buildRemovalRequest(ejento, 'https://ej.test', { projectId: '151' }, '007')).toEqual({
			ok: false,
			reason: 'Ejento user id must be a positive whole number without leading zeros (got "007")',
		});
		expect(buildRemovalRequest(productAccess, 'https://pa.test', {}, 'u')).toEqual({
			ok: false,
			reason: 'Product Access product id is missing',
		});
	});

	it('refuses a base URL that is not a plain http(s) URL', () => {
		expect(normalizeBaseUrl('ftp://x.test', 'Ejento')).toEqual({
			ok: false,
			reason: 'Ejento base URL must start with https:// or http://',
		});
		expect(normalizeBaseUrl('https://u:p@x.test', 'Ejento')).toEqual({
			ok: false,
			reason: 'Ejento base URL must not contain a user name or password',
		});
		expect(normalizeBaseUrl('https://x.test/?a=1', 'Ejento')).toEqual({
			ok: false,
			reason: 'Ejento base URL must not contain a query (?) or fragment (#)',
		});
		expect(normalizeBaseUrl('', 'Ejento')).toEqual({
			ok: false,
			reason: 'Ejento base URL is missing',
		});
		expect(normalizeBaseUrl(' https://x.test/base// ', 'Ejento')).toEqual({
			ok: true,
			value: 'https://x.test/base',
		});
	});
});
