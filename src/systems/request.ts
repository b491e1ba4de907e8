/** Builds a system's removal request from validated, percent-encoded ids, and checks its shape. */
import type { HttpMethod } from '../transport/types';
import { checkId } from './ids';

export interface RequestOptions {
	/** The system's real ids contain `/ \\ ? # %`: send them percent-encoded instead of refusing them. */
	allowUnsafePathCharacters?: boolean;
}
import type { LookupTarget, SystemDefinition } from './types';

export interface RemovalRequest {
	method: HttpMethod;
	url: string;
	headers: Record<string, string>;
	body?: Record<string, unknown>;
}

export type Built<T> = { ok: true; value: T } | { ok: false; reason: string };

/** A base URL is http(s), carries no query, fragment or user:password, and loses trailing slashes. */
export function normalizeBaseUrl(raw: unknown, systemName: string): Built<string> {
	const fail = (why: string): Built<string> => ({
		ok: false,
		reason: `${systemName} base URL ${why}`,
	});
	if (typeof raw !== 'string' || raw.trim() === '') return fail('is missing');
	let url: URL;
	try {
		url = new URL(raw.trim());
	} catch {
		return fail(`"${raw.trim().slice(0, 100)}" is not a URL`);
	}
	if (url.protocol !== 'https:' && url.protocol !== 'http:')
		return fail('must start with https:// or http://');
	if (url.username !== '' || url.password !== '')
		return fail('must not contain a user name or password');
	if (url.search !== '' || url.hash !== '')
		return fail('must not contain a query (?) or fragment (#)');
	return { ok: true, value: url.href.replace(/\/+$/, '') };
}

const TOKEN = /\{([A-Za-z]+)\}/g;

type CachedBase = { ok: true; value: string; parsed: URL } | { ok: false; reason: string };
const baseCache = new Map<string, CachedBase>();

/** A batch builds thousands of requests on a handful of base URLs: check and parse each once. */
function cachedBase(baseUrl: string, systemName: string): CachedBase {
	const key = `${systemName}\u0000${baseUrl}`;
	let cached = baseCache.get(key);
	if (!cached) {
		const base = normalizeBaseUrl(baseUrl, systemName);
		cached = base.ok ? { ...base, parsed: new URL(base.value) } : base;
		if (baseCache.size > 256) baseCache.clear();
		baseCache.set(key, cached);
	}
	return cached;
}

/**
 * The request that removes `userId` from `scope`, or the per-row reason it cannot be sent.
 * Every id is validated and percent-encoded; the URL is then parsed back and must have exactly the
 * template's shape (same origin, same segments, no query or fragment) before anything is sent.
 */
export function buildRemovalRequest(
	system: SystemDefinition,
	baseUrl: string,
	scope: Record<string, unknown>,
	rawUserId: unknown,
	options: RequestOptions = {},
): Built<RemovalRequest> {
	const base = cachedBase(baseUrl, system.displayName);
	if (!base.ok) return base;

	const place = (key: string): { inPath: boolean; allowUnsafePathCharacters?: boolean } => ({
		inPath:
			key === 'userId' && system.lookup
				? system.lookup.valueInPath
				: system.path.includes(`{${key}}`),
		allowUnsafePathCharacters: options.allowUnsafePathCharacters,
	});
	const values: Record<string, string> = {};
	for (const field of system.scopeFields) {
		const checked = checkId(
			scope[field.key],
			`${system.displayName} ${field.label}`,
			field.rule,
			place(field.key),
		);
		if (!checked.ok) return checked;
		values[field.key] = checked.value;
	}
	const user = checkId(
		rawUserId,
		`${system.displayName} ${system.userIdLabel}`,
		system.userIdRule,
		place('userId'),
	);
	if (!user.ok) return user;
	values.userId = user.value;

	if (system.lookup) {
		// The first request finds the user (a read); the change is built from what it finds.
		const url = `${base.value}${system.lookup.path(user.value)}`;
		const parsed = new URL(url);
		if (parsed.origin !== base.parsed.origin || !parsed.pathname.startsWith(base.parsed.pathname))
			return {
				ok: false,
				reason: `${system.displayName}: the user value would change the lookup path, so it was not sent`,
			};
		return { ok: true, value: { method: 'GET', url, headers: { ...system.headers } } };
	}
	return changeRequest(system, base, values);
}

/** The change request itself, from checked values (scope fields and `userId`). */
function changeRequest(
	system: SystemDefinition,
	base: { value: string; parsed: URL },
	values: Record<string, string>,
): Built<RemovalRequest> {
	const path = system.path.replace(TOKEN, (_, key: string) => encodeURIComponent(values[key]));
	const url = `${base.value}${path}`;
	const shape = checkPathShape(system, base.parsed, url, values);
	if (!shape.ok) return shape;

	const request: RemovalRequest = { method: system.method, url, headers: { ...system.headers } };
	if (system.body) {
		const { userId, ...scope } = values;
		request.body = system.body(userId, scope);
	}
	return { ok: true, value: request };
}

/**
 * The change for a user a lookup found (SCIM): its id in the path, checked like any id (a server's
 * id is not trusted to be path-safe), and its version as `If-Match` when the server gave one.
 */
export function buildChangeRequest(
	system: SystemDefinition,
	baseUrl: string,
	scope: Record<string, unknown>,
	target: LookupTarget,
): Built<RemovalRequest> {
	const base = cachedBase(baseUrl, system.displayName);
	if (!base.ok) return base;
	const values: Record<string, string> = {};
	for (const field of system.scopeFields) values[field.key] = String(scope[field.key] ?? '');
	const id = checkId(target.id, `${system.displayName} id from the lookup`, 'text', {
		inPath: true,
	});
	if (!id.ok) return id;
	values.userId = id.value;
	const built = changeRequest(system, base, values);
	if (built.ok && target.version !== undefined) built.value.headers['if-match'] = target.version;
	return built;
}

/** Parses the built URL back and proves each id landed whole in its own segment. */
function checkPathShape(
	system: SystemDefinition,
	baseUrl: URL,
	url: string,
	values: Record<string, string>,
): Built<string> {
	const refuse: Built<string> = {
		ok: false,
		reason: `${system.displayName}: the ids would change the request path, so it was not sent`,
	};
	const parsed = new URL(url);
	if (parsed.origin !== baseUrl.origin || parsed.search !== '' || parsed.hash !== '') return refuse;
	const basePath = baseUrl.pathname.replace(/\/$/, '');
	if (!parsed.pathname.startsWith(basePath)) return refuse;
	const got = parsed.pathname.slice(basePath.length).split('/');
	const want = system.path.split('/');
	if (got.length !== want.length) return refuse;
	for (let i = 0; i < want.length; i++) {
		const token = /^\{([A-Za-z]+)\}$/.exec(want[i]);
		const expected = token ? values[token[1]] : want[i];
		if (safeDecode(got[i]) !== expected) return refuse;
	}
	return { ok: true, value: url };
}

function safeDecode(segment: string): string | undefined {
	try {
		return decodeURIComponent(segment);
	} catch {
		return undefined;
	}
}
