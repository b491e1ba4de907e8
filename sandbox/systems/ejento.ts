/**
 * Emulated Ejento "Remove User from Project": integer path ids (anything else misses the route, as
 * Django's `<int:>` converter does), Bearer token or an API key header, 404 "Record Not Found" for a
 * missing project and a missing user alike.
 */
import { bearerToken, Emulator, type Reply, type Route } from '../emulator';

export interface EjentoUser {
	id: number;
	email: string;
}

export class EjentoEmulator extends Emulator {
	readonly name = 'ejento';
	readonly tokens = new Set<string>();
	readonly apiKeys = new Set<string>();
	/** The header an API key arrives in (lower case). */
	apiKeyHeader = 'x-api-key';
	private readonly projects = new Map<
		number,
		Map<number, { membershipId: number; user: EjentoUser }>
	>();
	private nextMembership = 100;

	get baseUrl(): string {
		return this.origin;
	}

	addMember(projectId: number, user: EjentoUser): void {
		const members = this.projects.get(projectId) ?? new Map();
		members.set(user.id, { membershipId: this.nextMembership++, user });
		this.projects.set(projectId, members);
	}

	isMember(projectId: number, userId: number): boolean {
		return this.projects.get(projectId)?.has(userId) === true;
	}

	snapshot(): Record<string, number[]> {
		const out: Record<string, number[]> = {};
		for (const [id, members] of this.projects) out[id] = [...members.keys()];
		return out;
	}

	private authorized(headers: Parameters<typeof bearerToken>[0]): boolean {
		const token = bearerToken(headers);
		if (token && this.tokens.has(token)) return true;
		const key = headers[this.apiKeyHeader];
		return typeof key === 'string' && this.apiKeys.has(key);
	}

	protected routes(): Route[] {
		return [
			{
				name: 'removeUser',
				method: 'DELETE',
				pattern: /^\/api\/project\/([0-9]+)\/user\/([0-9]+)\/?$/,
				guarded: true,
				handle: ({ params: [projectText, userText], headers }): Reply => {
					if (!this.authorized(headers)) {
						return {
							status: 401,
							body: { detail: 'Authentication credentials were not provided.' },
						};
					}
					const notFound: Reply = {
						status: 404,
						body: { success: false, message: 'Record Not Found' },
					};
					const members = this.projects.get(Number(projectText));
					const membership = members?.get(Number(userText));
					if (!members || !membership) return notFound;
					members.delete(Number(userText));
					return {
						status: 200,
						acted: true,
						body: {
							success: true,
							message: 'Users removed from project successfully.',
							data: [
								{
									id: membership.membershipId,
									user: {
										id: membership.user.id,
										email: membership.user.email,
										is_staff: false,
										is_superuser: false,
										is_active: true,
										date_joined: '2024-01-30T17:23:41.663281Z',
										first_name: '',
										last_name: '',
										organization: {
											id: 1,
											org_name: 'Sandbox Org',
											domain: 'sandbox.test',
											is_deleted: false,
										},
									},
								},
							],
						},
					};
				},
			},
		];
	}
}
