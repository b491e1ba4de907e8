/**
 * Custom HTTP: a system defined in the editor, no code — method, path template, optional JSON body
 * template, the success rule, the "not there" answer and the wrong-scope answer. The same engine
 * runs it: limits, retries, dry run, threshold, protected users, report, receipt. Placeholders are
 * `{userId}` and scope names (`{teamId}`), each validated and percent-encoded like every system's
 * ids; in the body they replace whole JSON string values or parts of them, never JSON syntax.
 */
import { z } from 'zod';
import { readPath } from '../auth/schemes';
import type { AnswerRule, SystemDefinition, SystemSetting } from './types';

/** One user setting of the definition is not usable: the run is refused with this message. */
export class CustomSystemError extends Error {
	override readonly name = 'CustomSystemError';
}

/** The same placeholder syntax as every system's path template (`request.ts`): letters only. */
const PLACEHOLDER = /\{([A-Za-z]+)\}/g;
const METHODS = ['DELETE', 'POST', 'PATCH'] as const;

export const CUSTOM_SETTINGS: readonly SystemSetting[] = [
	{
		key: 'appName',
		label: 'App Name',
		description: 'The app behind this API (e.g. Notion), as the report and receipt name it',
		default: 'Custom HTTP',
	},
	{
		key: 'method',
		label: 'Method',
		description: 'The HTTP method of the removal call',
		default: 'DELETE',
		choices: METHODS.map((m) => ({ name: m, value: m, description: `Send ${m}` })),
	},
	{
		key: 'path',
		label: 'Path',
		description:
			'Below the base URL, e.g. /teams/{teamId}/members/{userId}. {userId} is the user; any other {name} is a scope read from the row or item field of that name. Each value is percent-encoded.',
		default: '/users/{userId}',
	},
	{
		key: 'body',
		label: 'JSON Body',
		description:
			'Optional JSON sent with the request, e.g. {"user_id": "{userId}"}: placeholders inside string values are replaced',
		default: '',
	},
	{
		key: 'successStatuses',
		label: 'Success Statuses',
		description: 'The statuses that confirm the removal, separated by commas (204 means no body)',
		default: '200,204',
	},
	{
		key: 'successField',
		label: 'Success Field',
		description:
			'Optional: the answer must also hold this JSON value, as path=value (e.g. success=true or data.status=removed)',
		default: '',
	},
	{
		key: 'notThereStatus',
		label: 'Not There Status',
		description: 'The status the API answers for a user who is not there (usually 404)',
		default: '404',
	},
	{
		key: 'notThereMessage',
		label: 'Not There Message',
		description:
			'Optional: a regular expression the message must match too (case-insensitive), e.g. user not found',
		default: '',
	},
	{
		key: 'wrongScopeStatus',
		label: 'Wrong Scope Status',
		description:
			'Optional: the status of the answer for an unknown scope (a team that does not exist), so it fails instead of reading as "not there"',
		default: '',
	},
	{
		key: 'wrongScopeMessage',
		label: 'Wrong Scope Message',
		description:
			'Optional: a regular expression the wrong-scope message must match (case-insensitive)',
		default: '',
	},
];

function text(settings: Readonly<Record<string, unknown>>, key: string): string {
	const value = settings[key];
	if (typeof value === 'string') return value.trim();
	if (typeof value === 'number') return String(value);
	return CUSTOM_SETTINGS.find((s) => s.key === key)?.default ?? '';
}

function status(raw: string, label: string): number {
	if (!/^[1-5][0-9]{2}$/.test(raw))
		throw new CustomSystemError(`${label} must be an HTTP status such as 404 (got "${raw}")`);
	return Number(raw);
}

function pattern(raw: string, label: string): RegExp {
	if (raw === '') return /[\s\S]*/;
	try {
		return new RegExp(raw, 'i');
	} catch (error) {
		throw new CustomSystemError(
			`${label} is not a regular expression: ${(error as Error).message}`,
		);
	}
}

/** `success=true` → the JSON value `true`; `data.status=removed` → the string "removed". */
function fieldRule(raw: string): { path: string; value: unknown } | undefined {
	if (raw === '') return undefined;
	const at = raw.indexOf('=');
	if (at <= 0) throw new CustomSystemError(`Success Field must be path=value (got "${raw}")`);
	const path = raw.slice(0, at).trim();
	const literal = raw.slice(at + 1).trim();
	let value: unknown = literal;
	try {
		value = JSON.parse(literal);
	} catch {
		// Not JSON: the text itself.
	}
	return { path, value };
}

/** Replaces placeholders inside the template's string values; keys and structure stay as written. */
function fill(template: unknown, values: Readonly<Record<string, string>>): unknown {
	if (typeof template === 'string')
		return template.replace(PLACEHOLDER, (whole, key: string) => values[key] ?? whole);
	if (Array.isArray(template)) return template.map((item) => fill(item, values));
	if (typeof template === 'object' && template !== null)
		return Object.fromEntries(Object.entries(template).map(([k, v]) => [k, fill(v, values)]));
	return template;
}

/** The definition the settings describe, or a `CustomSystemError` naming the setting to fix. */
export function customSystem(settings: Readonly<Record<string, unknown>> = {}): SystemDefinition {
	const name = text(settings, 'appName') || 'Custom HTTP';
	const method = text(settings, 'method').toUpperCase();
	if (!(METHODS as readonly string[]).includes(method))
		throw new CustomSystemError(`Method must be one of ${METHODS.join(', ')} (got "${method}")`);
	const path = text(settings, 'path');
	if (!path.startsWith('/') || /[?#]/.test(path))
		throw new CustomSystemError(
			`Path must start with / and hold no query or fragment (got "${path}")`,
		);
	let bodyTemplate: unknown;
	const bodyText = text(settings, 'body');
	if (bodyText !== '') {
		try {
			bodyTemplate = JSON.parse(bodyText) as unknown;
		} catch (error) {
			throw new CustomSystemError(`JSON Body is not JSON: ${(error as Error).message}`);
		}
		if (typeof bodyTemplate !== 'object' || bodyTemplate === null || Array.isArray(bodyTemplate))
			throw new CustomSystemError('JSON Body must be a JSON object');
	}
	// A placeholder is a whole segment: `request.ts` checks each id landed whole in its own one.
	const partial = path
		.split('/')
		.find((segment) => /[{}]/.test(segment) && !/^\{[A-Za-z]+\}$/.test(segment));
	if (partial !== undefined)
		throw new CustomSystemError(
			`Path segment "${partial}" must be a placeholder alone, such as {userId} (letters only), or plain text`,
		);
	const inPath = [...path.matchAll(PLACEHOLDER)].map((m) => m[1]);
	const inBody = [...JSON.stringify(bodyTemplate ?? '').matchAll(PLACEHOLDER)].map((m) => m[1]);
	if (!inPath.includes('userId') && !inBody.includes('userId'))
		throw new CustomSystemError(
			'Put {userId} in the Path or the JSON Body: it says who is removed',
		);
	const scopeKeys = [...new Set([...inPath, ...inBody].filter((key) => key !== 'userId'))];

	const statuses = text(settings, 'successStatuses')
		.split(',')
		.map((s) => s.trim())
		.filter((s) => s !== '')
		.map((s) => status(s, 'Success Statuses'));
	if (statuses.length === 0 || statuses.some((s) => s < 200 || s > 299))
		throw new CustomSystemError('Success Statuses must list 2xx statuses, e.g. 200,204');
	const field = fieldRule(text(settings, 'successField'));
	const rules: AnswerRule[] = [];
	const wrongScope = text(settings, 'wrongScopeStatus');
	if (wrongScope !== '')
		rules.push({
			status: status(wrongScope, 'Wrong Scope Status'),
			message: pattern(text(settings, 'wrongScopeMessage'), 'Wrong Scope Message'),
			kind: 'wrong_scope',
			hint: `check the ${scopeKeys.join(' and ') || 'scope'}`,
		});

	return {
		id: 'custom',
		displayName: name,
		credential: {
			type: 'customHttpApi',
			auth: (fields) => {
				switch (fields.authType) {
					case 'header':
						return {
							kind: 'header',
							name: String(fields.headerName || 'X-API-Key'),
							valueField: 'apiKey',
						};
					case 'basic':
						return { kind: 'basic', userField: 'username', passwordField: 'password' };
					case 'none':
						return { kind: 'none' };
					default:
						return { kind: 'bearer', tokenField: 'token' };
				}
			},
		},
		settings: CUSTOM_SETTINGS,
		configure: (_credential, options) => customSystem(options),
		userIdField: 'userId',
		userIdLabel: 'user id',
		userIdRule: 'text',
		scopeFields: scopeKeys.map((key) => ({ key, label: key, rule: 'text' })),
		method: method as (typeof METHODS)[number],
		path,
		...(bodyTemplate !== undefined
			? {
					body: (userId: string, scope: Readonly<Record<string, string>> = {}) =>
						fill(bodyTemplate, { ...scope, userId }) as Record<string, unknown>,
				}
			: {}),
		successStatuses: statuses,
		...(statuses.includes(204) ? { noContentIsSuccess: true as const } : {}),
		success: field
			? z.unknown().refine((body) => readPath(body, field.path) === field.value)
			: z.unknown(),
		notThere: {
			status: status(text(settings, 'notThereStatus'), 'Not There Status'),
			message: pattern(text(settings, 'notThereMessage'), 'Not There Message'),
		},
		// Without a Not There Message, the status alone cannot tell a user who is not there from a
		// mistyped path, base URL or scope (most servers answer 404 for any unknown route): such a
		// "not found" is confirmed only by scope evidence — a removal through this same definition.
		...(text(settings, 'notThereMessage') === ''
			? {
					notThereMayBeWrongScope:
						'its Not There Message is empty, so the Not There Status answered for a mistyped path, base URL or scope reads exactly like a user who is not there',
					scopeEvidenceKey: `${method} ${path}`,
				}
			: {}),
		rules,
	};
}

export const custom: SystemDefinition = customSystem();
