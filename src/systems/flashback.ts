/** Flashback "Remove User from Workspace": DELETE /workspace/{id}/users/{userId}. */
import { z } from 'zod';
import type { SystemDefinition } from './types';

export const flashback: SystemDefinition = {
	id: 'flashback',
	displayName: 'Flashback',
	defaultBaseUrl: 'https://backend.flashback.tech',
	credential: { type: 'flashbackApi', auth: () => ({ kind: 'bearer', tokenField: 'token' }) },
	userIdField: 'flashbackUserId',
	userIdLabel: 'user id',
	userIdRule: 'text',
	scopeFields: [{ key: 'workspaceId', label: 'workspace id', rule: 'text' }],
	method: 'DELETE',
	path: '/workspace/{workspaceId}/users/{userId}',
	success: z.object({ success: z.literal(true) }),
	notThere: { status: 404, message: /user not found in workspace/i },
	rules: [
		// doc: "Users cannot remove themselves" — the credential's own account: protected, not a failure.
		{
			status: 403,
			message: /themsel|yourself|own account|self-?removal/i,
			kind: 'self_removal',
			hint: "this is the credential's own account, which Flashback never removes",
		},
		// ours: an unknown workspace answers the same 403, so the hint names both causes.
		{
			status: 403,
			message: /insufficient permissions/i,
			kind: 'forbidden',
			hint: "the credential's account must be ADMIN of the workspace; also check the workspace id",
		},
		// doc: "User not found or account is not validated" — ambiguous, so failed with the message.
		{
			status: 400,
			kind: 'rejected',
			hint: 'Flashback cannot tell a missing user from an unvalidated account',
		},
	],
};
