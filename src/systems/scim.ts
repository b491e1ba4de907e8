/**
 * SCIM 2.0 (RFC 7643 / RFC 7644): the generic kind most large SaaS apps deprovision through.
 * *Deactivate* sends `PATCH /Users/{id}` with `active: false` (what Okta and Entra send); *Delete*
 * sends `DELETE /Users/{id}`. The user is given by SCIM id, or found by `userName` or email with a
 * filter first; the user's `meta.version` goes back as `If-Match` (RFC 7644 §3.14) when it has one.
 */
import { z } from 'zod';
import type { LookupSpec, SystemDefinition, Verdict } from './types';

export type ScimAction = 'deactivate' | 'delete';
export type ScimFindBy = 'id' | 'userName' | 'email';

export interface ScimOptions {
	action: ScimAction;
	findBy: ScimFindBy;
}

export const DEFAULT_SCIM_OPTIONS: ScimOptions = { action: 'deactivate', findBy: 'id' };

const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';
const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const LIST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';

/** RFC 7644 §3.12: the error body; `status` is a string there, a number from some servers. */
const scimError = z.object({
	schemas: z.array(z.string()).refine((s) => s.includes(ERROR_SCHEMA)),
});

const user = z
	.object({
		id: z.string().min(1),
		userName: z.string().optional(),
		active: z.boolean().optional(),
		emails: z.array(z.object({ value: z.string().optional() }).passthrough()).optional(),
		meta: z.object({ version: z.string().optional() }).passthrough().optional(),
	})
	.passthrough();
type ScimUser = z.infer<typeof user>;

const listResponse = z
	.object({
		schemas: z.array(z.string()).optional(),
		totalResults: z.number().int().nonnegative(),
		Resources: z.array(z.unknown()).optional(),
	})
	.passthrough();

/**
 * A filter's comparison value (RFC 7644 §3.4.2.2): a JSON string, so `"` and `\` are escaped as
 * JSON escapes them. The ids that reach here have no control characters (`checkId` refuses them).
 */
export function scimFilterValue(value: string): string {
	return JSON.stringify(value);
}

/** The filter that finds a user by `userName` or by any of its email addresses. */
export function scimFilter(findBy: Exclude<ScimFindBy, 'id'>, value: string): string {
	const attribute = findBy === 'userName' ? 'userName' : 'emails.value';
	return `${attribute} eq ${scimFilterValue(value)}`;
}

/** userName and email values compare case-insensitively (RFC 7643 §4.1.1: `caseExact` false). */
function matches(found: ScimUser, findBy: Exclude<ScimFindBy, 'id'>, value: string): boolean {
	const wanted = value.toLowerCase();
	if (findBy === 'userName') return found.userName?.toLowerCase() === wanted;
	return (found.emails ?? []).some((email) => email.value?.toLowerCase() === wanted);
}

function verdict(
	kind: Verdict['kind'],
	status: Verdict['status'],
	httpStatus: number,
	reason: string,
): Verdict {
	return { kind, status, httpStatus, reason };
}

function lookupSpec(name: string, options: ScimOptions): LookupSpec | undefined {
	const { action, findBy } = options;
	// Delete by id needs nothing first: DELETE answers 404 for a user that is not there.
	if (findBy === 'id' && action === 'delete') return undefined;
	const what = findBy === 'id' ? 'SCIM id' : findBy === 'userName' ? 'userName' : 'email';
	/** The one user the change acts on, or why there is none. */
	const target = (found: ScimUser, httpStatus: number): Verdict => {
		if (action === 'deactivate' && found.active === false)
			return verdict(
				'not_there',
				'not_found',
				httpStatus,
				`${name} says the user (${what} ${found.userName ?? found.id}) is already deactivated`,
			);
		// The resource's version (RFC 7644 §3.14: `meta.version`, the same value as its ETag). Not a
		// bare ETag header: scimmy sends Express's hash of the body there and keeps no versions
		// (measured, test/sandbox/scimServers.test.ts) — a strict server would then refuse If-Match.
		const version = found.meta?.version;
		return {
			...verdict('found', 'failed', httpStatus, `${name} found the user (SCIM id ${found.id})`),
			target: { id: found.id, ...(version ? { version } : {}) },
		};
	};
	return {
		valueInPath: findBy === 'id',
		path: (value) =>
			findBy === 'id'
				? `/Users/${encodeURIComponent(value)}`
				: `/Users?filter=${encodeURIComponent(scimFilter(findBy, value))}`,
		read: ({ status, body }, value) => {
			if (findBy === 'id') {
				const parsed = user.safeParse(body);
				if (!parsed.success)
					return verdict(
						'rejected',
						'failed',
						status,
						`${name} answered ${status} to the user lookup without a SCIM User resource: nothing was changed`,
					);
				return target(parsed.data, status);
			}
			const list = listResponse.safeParse(body);
			if (!list.success)
				return verdict(
					'rejected',
					'failed',
					status,
					`${name} answered ${status} to the ${what} lookup without a SCIM ListResponse (${LIST_SCHEMA}): nothing was changed`,
				);
			const resources = list.data.Resources ?? [];
			const users = resources.map((r) => user.safeParse(r));
			const hits = users.flatMap((u) =>
				u.success && matches(u.data, findBy, value) ? [u.data] : [],
			);
			if (list.data.totalResults === 0 && resources.length === 0)
				return verdict(
					'not_there',
					'not_found',
					status,
					`${name} has no user with ${what} "${value}" (searched ${scimFilter(findBy, value)})`,
				);
			if (hits.length === 0 || hits.length < resources.length)
				return verdict(
					'rejected',
					'failed',
					status,
					`${name} answered users that do not match ${scimFilter(findBy, value)} (it may not support filtering on ${findBy === 'userName' ? 'userName' : 'emails.value'}): nothing was changed`,
				);
			if (hits.length > 1 || list.data.totalResults > 1)
				return verdict(
					'rejected',
					'failed',
					status,
					`${name} has ${Math.max(hits.length, list.data.totalResults)} users with ${what} "${value}": ambiguous, nothing was changed; give the SCIM id instead`,
				);
			return target(hits[0], status);
		},
	};
}

const SCIM_SETTINGS: SystemDefinition['settings'] = [
	{
		key: 'findBy',
		label: 'Find SCIM Users By',
		description:
			'How the row names the user: its SCIM ID, or its userName or email, found with a SCIM filter first',
		default: 'id',
		choices: [
			{
				name: 'SCIM ID',
				value: 'id',
				description: 'The row field scimUserId holds the SCIM resource ID',
			},
			{
				name: 'userName (From the Email)',
				value: 'userName',
				findsByEmail: true,
				description:
					'The row email is looked up with filter userName eq "…" (most apps use the email as userName)',
			},
			{
				name: 'Email Address',
				value: 'email',
				findsByEmail: true,
				description: 'The row email is looked up with filter emails.value eq "…"',
			},
		],
	},
	{
		key: 'appName',
		label: 'SCIM App Name',
		description:
			'The app behind this SCIM endpoint (e.g. Slack), as the report and receipt name it',
		default: '',
	},
];

/** The SCIM system for one app's settings: what it does and how the user is found. */
export function scimSystem(
	options: ScimOptions = DEFAULT_SCIM_OPTIONS,
	displayName = 'SCIM',
): SystemDefinition {
	const lookup = lookupSpec(displayName, options);
	const deactivate = options.action === 'deactivate';
	return {
		id: 'scim',
		displayName,
		credential: {
			type: 'scimApi',
			// The test reads GET /Users/{an id that cannot exist}, whatever the credential's action.
			probeOverrides: { action: 'deactivate' },
			// RFC 7644 §2: a bearer token; some apps want it under their own header name.
			auth: (fields) =>
				typeof fields.headerName === 'string' &&
				fields.headerName.trim() !== '' &&
				fields.headerName.trim().toLowerCase() !== 'authorization'
					? { kind: 'header', name: fields.headerName.trim(), valueField: 'token' }
					: { kind: 'bearer', tokenField: 'token' },
		},
		settings: SCIM_SETTINGS,
		configure: (credential, settings) =>
			scimSystem(
				{
					action: credential.action === 'delete' ? 'delete' : 'deactivate',
					findBy:
						settings.findBy === 'userName' || settings.findBy === 'email' ? settings.findBy : 'id',
				},
				typeof settings.appName === 'string' && settings.appName.trim() !== ''
					? settings.appName.trim()
					: displayName,
			),
		...(lookup ? { lookup } : {}),
		headers: {
			accept: 'application/scim+json, application/json',
			'content-type': 'application/scim+json',
		},
		userIdField: options.findBy === 'id' ? 'scimUserId' : 'email',
		userIdLabel:
			options.findBy === 'id'
				? 'SCIM user id'
				: options.findBy === 'userName'
					? 'userName'
					: 'email',
		userIdRule: 'text',
		userIdPrompt: 'User (SCIM ID, userName or Email, as Find SCIM Users By Says)',
		scopeFields: [],
		method: deactivate ? 'PATCH' : 'DELETE',
		path: '/Users/{userId}',
		...(deactivate
			? {
					body: () => ({
						schemas: [PATCH_SCHEMA],
						Operations: [{ op: 'replace', path: 'active', value: false }],
					}),
				}
			: {}),
		// RFC 7644 §3.5.2: PATCH answers 200 with the resource, or 204; §3.6: DELETE answers 204.
		noContentIsSuccess: true,
		success: deactivate ? user.refine((u) => u.active === false) : z.unknown(),
		successDetail: () => ({ action: deactivate ? 'deactivated' : 'deleted' }),
		// RFC 7644 §3.12: 404 for an unknown resource, in the SCIM error body (a 404 without it is a
		// wrong base URL or path, not a missing user).
		notThere: { status: 404, message: /[\s\S]*/, body: scimError },
		rules: [
			{
				status: 404,
				kind: 'rejected',
				hint: 'this 404 is not a SCIM error: check the base URL (it usually ends in /scim/v2)',
			},
			{ status: 403, kind: 'forbidden', hint: 'the token must be allowed to manage users' },
		],
	};
}

export const scim: SystemDefinition = scimSystem();
