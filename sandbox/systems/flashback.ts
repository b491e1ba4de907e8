/**
 * Emulated Flashback "Remove User from Workspace": ADMIN needed (403 otherwise, and for an unknown
 * workspace), self-removal refused with its own 403 message, 400 for an unvalidated account.
 */
import { bearerToken, Emulator, type Reply, type Route } from '../emulator';

interface Workspace {
	admins: Set<string>;
	members: Map<string, { validated: boolean }>;
}

export const SELF_REMOVAL_MESSAGE = 'Users cannot remove themselves from a workspace';

export class FlashbackEmulator extends Emulator {
	readonly name = 'flashback';
	/** Bearer token → the account it belongs to. */
	readonly accounts = new Map<string, string>();
	private readonly workspaces = new Map<string, Workspace>();

	get baseUrl(): string {
		return this.origin;
	}

	addWorkspace(workspaceId: string, admins: string[]): void {
		const workspace = this.workspaces.get(workspaceId) ?? { admins: new Set(), members: new Map() };
		for (const admin of admins) {
			workspace.admins.add(admin);
			workspace.members.set(admin, { validated: true });
		}
		this.workspaces.set(workspaceId, workspace);
	}

	addMember(workspaceId: string, userId: string, validated = true): void {
		this.addWorkspace(workspaceId, []);
		this.workspaces.get(workspaceId)?.members.set(userId, { validated });
	}

	isMember(workspaceId: string, userId: string): boolean {
		return this.workspaces.get(workspaceId)?.members.has(userId) === true;
	}

	snapshot(): Record<string, string[]> {
		const out: Record<string, string[]> = {};
		for (const [id, workspace] of this.workspaces) out[id] = [...workspace.members.keys()];
		return out;
	}

	protected routes(): Route[] {
		return [
			{
				name: 'removeUser',
				method: 'DELETE',
				pattern: /^\/workspace\/([^/]+)\/users\/([^/]+)$/,
				guarded: true,
				handle: ({ params: [workspaceId, userId], headers }): Reply => {
					const token = bearerToken(headers);
					const account = token ? this.accounts.get(token) : undefined;
					if (!account)
						return {
							status: 401,
							body: { success: false, message: 'Invalid or missing access token' },
						};
					const workspace = this.workspaces.get(workspaceId);
					if (!workspace || !workspace.admins.has(account)) {
						return {
							status: 403,
							body: {
								success: false,
								message: 'Insufficient permissions to manage workspace users',
							},
						};
					}
					if (userId === account)
						return { status: 403, body: { success: false, message: SELF_REMOVAL_MESSAGE } };
					const member = workspace.members.get(userId);
					if (!member)
						return {
							status: 404,
							body: { success: false, message: 'User not found in workspace' },
						};
					if (!member.validated) {
						return {
							status: 400,
							body: { success: false, message: 'User not found or account is not validated' },
						};
					}
					workspace.members.delete(userId);
					workspace.admins.delete(userId);
					return { status: 200, acted: true, body: { success: true } };
				},
			},
		];
	}
}
