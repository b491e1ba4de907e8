/**
 * Emulated Mudbase "Remove participant from chat": JWT (HS256, short-lived, from our login endpoint
 * `POST /api/auth/login`) as Bearer; 400 "not a participant" is its "not there"; 404 for an unknown
 * project or chat.
 */
import { randomBytes } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';
import { Emulator, parseJsonBody, type Reply, type Route } from '../emulator';

export const LOGIN_PATH = '/api/auth/login';

export class MudbaseEmulator extends Emulator {
	readonly name = 'mudbase';
	/** Login email → password and the account's user id (the JWT `sub`). */
	readonly logins = new Map<string, { password: string; userId: string }>();
	/** Lifetime of issued tokens, in seconds. */
	tokenTtlSeconds = 900;
	/** Successful logins: the JWT refresh tests count them. */
	loginCount = 0;
	private signingKey = randomBytes(32);
	private readonly chats = new Map<string, Set<string>>();

	get baseUrl(): string {
		return this.origin;
	}

	addParticipant(projectId: string, chatId: string, userId: string): void {
		const key = chatKey(projectId, chatId);
		const participants = this.chats.get(key) ?? new Set<string>();
		participants.add(userId);
		this.chats.set(key, participants);
	}

	addChat(projectId: string, chatId: string): void {
		if (!this.chats.has(chatKey(projectId, chatId)))
			this.chats.set(chatKey(projectId, chatId), new Set());
	}

	isParticipant(projectId: string, chatId: string, userId: string): boolean {
		return this.chats.get(chatKey(projectId, chatId))?.has(userId) === true;
	}

	snapshot(): Record<string, string[]> {
		const out: Record<string, string[]> = {};
		for (const [key, participants] of this.chats) out[key] = [...participants];
		return out;
	}

	/** Revokes every token issued so far (a new signing key): the next call with one gets a 401. */
	revokeTokens(): void {
		this.signingKey = randomBytes(32);
	}

	/** A token as the login endpoint would issue it (tests use this to make expired tokens). */
	async issueToken(
		userId: string,
		email: string,
		ttlSeconds = this.tokenTtlSeconds,
	): Promise<string> {
		const now = Math.floor(Date.now() / 1000);
		return new SignJWT({ email })
			.setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
			.setSubject(userId)
			.setIssuedAt(now)
			.setExpirationTime(now + ttlSeconds)
			.sign(this.signingKey);
	}

	private async verified(authorization: string | string[] | undefined): Promise<boolean> {
		const match = typeof authorization === 'string' ? /^Bearer (.+)$/.exec(authorization) : null;
		if (!match) return false;
		try {
			await jwtVerify(match[1], this.signingKey, { algorithms: ['HS256'] });
			return true;
		} catch {
			return false;
		}
	}

	protected routes(): Route[] {
		return [
			{
				name: 'login',
				method: 'POST',
				pattern: /^\/api\/auth\/login$/,
				guarded: false,
				handle: async ({ body }): Promise<Reply> => {
					const parsed = parseJsonBody(body);
					const { email, password } = (parsed.ok ? parsed.value : {}) as {
						email?: unknown;
						password?: unknown;
					};
					const account = typeof email === 'string' ? this.logins.get(email) : undefined;
					if (!account || account.password !== password) {
						return { status: 401, body: { message: 'Invalid email or password' } };
					}
					this.loginCount++;
					const token = await this.issueToken(account.userId, email as string);
					return { status: 200, body: { token, user: { id: account.userId, email } } };
				},
			},
			{
				name: 'removeParticipant',
				method: 'DELETE',
				pattern: /^\/api\/chat\/projects\/([^/]+)\/chats\/([^/]+)\/participants$/,
				guarded: true,
				handle: async ({ params: [projectId, chatId], headers, body }): Promise<Reply> => {
					if (!(await this.verified(headers.authorization))) {
						return { status: 401, body: { message: 'Authentication required or invalid token' } };
					}
					const parsed = parseJsonBody(body);
					const userId = parsed.ok
						? (parsed.value as { userId?: unknown } | null)?.userId
						: undefined;
					if (typeof userId !== 'string' || userId === '') {
						return { status: 400, body: { message: 'Validation failed: userId is required' } };
					}
					const participants = this.chats.get(chatKey(projectId, chatId));
					if (!participants) return { status: 404, body: { message: 'Chat not found' } };
					if (!participants.has(userId)) {
						return { status: 400, body: { message: 'User is not a participant of this chat' } };
					}
					participants.delete(userId);
					return {
						status: 200,
						acted: true,
						body: { message: 'Participant removed successfully' },
					};
				},
			},
		];
	}
}

function chatKey(projectId: string, chatId: string): string {
	return JSON.stringify([projectId, chatId]);
}
