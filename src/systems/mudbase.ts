/** Mudbase "Remove participant from chat": DELETE /api/chat/projects/{projectId}/chats/{chatId}/participants. */
import { z } from 'zod';
import type { SystemDefinition } from './types';

export const mudbase: SystemDefinition = {
	id: 'mudbase',
	displayName: 'Mudbase',
	// A JWT as Bearer: logged in with email and password (refreshed on a 401) or pasted.
	credential: { type: 'mudbaseApi', auth: () => ({ kind: 'jwtLogin' }) },
	userIdField: 'mudbaseUserId',
	userIdLabel: 'user id',
	userIdRule: 'text',
	scopeFields: [
		{ key: 'projectId', label: 'project id', rule: 'text' },
		{ key: 'chatId', label: 'chat id', rule: 'text' },
	],
	method: 'DELETE',
	path: '/api/chat/projects/{projectId}/chats/{chatId}/participants',
	body: (userId) => ({ userId }),
	success: z.object({ message: z.string().regex(/removed/i) }),
	// ours: a 400 whose message says the user is not a participant; any other 400 is validation.
	notThere: { status: 400, message: /not a participant/i },
	rules: [
		{
			status: 404,
			message: /chat not found|project not found/i,
			kind: 'wrong_scope',
			hint: 'check the project id and chat id',
		},
	],
};
