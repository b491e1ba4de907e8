/** Ejento "Remove User from Project": DELETE /api/project/{project_id}/user/{user_id}, integer ids. */
import { z } from 'zod';
import type { SystemDefinition } from './types';

export const ejento: SystemDefinition = {
	id: 'ejento',
	displayName: 'Ejento',
	credential: {
		type: 'ejentoApi',
		// doc: a Bearer token, or an API key in a header whose name the account's admin sets.
		auth: (fields) =>
			fields.authType === 'apiKeyHeader'
				? { kind: 'header', name: String(fields.apiKeyHeader || 'X-API-Key'), valueField: 'apiKey' }
				: { kind: 'bearer', tokenField: 'token' },
	},
	userIdField: 'ejentoUserId',
	userIdLabel: 'user id',
	userIdRule: 'positiveInteger',
	scopeFields: [{ key: 'projectId', label: 'project id', rule: 'positiveInteger' }],
	method: 'DELETE',
	path: '/api/project/{projectId}/user/{userId}',
	// ours: the page marks every field optional; `success: true` is what its example returns and the
	// least a body must say before we call it done.
	success: z.object({
		success: z.literal(true),
		message: z.string().optional(),
		data: z.array(z.unknown()).optional(),
	}),
	// doc: 404 "Record Not Found" — for a missing user and a missing project alike, so a wrong
	// project id reads as "not there" here; the all-not_found warning is what guards it.
	notThere: { status: 404, message: /record not found/i },
	// Documented: one "404 Record Not Found" for an unknown project and for a user not in it.
	notThereMayBeWrongScope:
		'Ejento answers an unknown project exactly like a user without access (404 Record Not Found)',
	rules: [],
};
