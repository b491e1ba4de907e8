/**
 * Emulated ProductBridge "Delete a user": a FastAPI app, so body validation (422, echoing its input)
 * runs before the api_key check (401).
 */
import { Emulator, parseJsonBody, type Reply, type Route } from '../emulator';

// What pydantic's UUID type accepts: 32 hex digits, hyphens optional, any case.
const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

function canonicalUuid(value: string): string {
	const hex = value.replace(/-/g, '').toLowerCase();
	return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

interface ValidationIssue {
	type: string;
	loc: Array<string | number>;
	msg: string;
	input: unknown;
}

export class ProductBridgeEmulator extends Emulator {
	readonly name = 'productBridge';
	readonly apiKeys = new Set<string>();
	private readonly linked = new Set<string>();

	get baseUrl(): string {
		return this.origin;
	}

	addMember(userId: string): void {
		this.linked.add(canonicalUuid(userId));
	}

	isMember(userId: string): boolean {
		return UUID.test(userId) && this.linked.has(canonicalUuid(userId));
	}

	snapshot(): string[] {
		return [...this.linked];
	}

	protected routes(): Route[] {
		return [
			{
				name: 'deleteUser',
				method: 'POST',
				pattern: /^\/api\/external\/v1\/users\/delete$/,
				guarded: true,
				handle: ({ body }): Reply => {
					const parsed = parseJsonBody(body);
					if (!parsed.ok) {
						return unprocessable([
							{ type: 'json_invalid', loc: ['body', 0], msg: 'JSON decode error', input: {} },
						]);
					}
					const input = parsed.value;
					if (typeof input !== 'object' || input === null || Array.isArray(input)) {
						return unprocessable([
							{
								type: 'model_attributes_type',
								loc: ['body'],
								msg: 'Input should be a valid dictionary',
								input,
							},
						]);
					}
					const fields = input as Record<string, unknown>;
					const issues: ValidationIssue[] = [];
					// pydantic puts the whole object in `input` for a missing field: the api_key is echoed.
					if (!('api_key' in fields))
						issues.push({
							type: 'missing',
							loc: ['body', 'api_key'],
							msg: 'Field required',
							input,
						});
					else if (typeof fields.api_key !== 'string') {
						issues.push({
							type: 'string_type',
							loc: ['body', 'api_key'],
							msg: 'Input should be a valid string',
							input: fields.api_key,
						});
					}
					if (!('user_id' in fields))
						issues.push({
							type: 'missing',
							loc: ['body', 'user_id'],
							msg: 'Field required',
							input,
						});
					else if (typeof fields.user_id !== 'string' || !UUID.test(fields.user_id)) {
						issues.push({
							type: 'uuid_parsing',
							loc: ['body', 'user_id'],
							msg: 'Input should be a valid UUID, invalid character: expected an optional prefix of `urn:uuid:` followed by [0-9a-fA-F-]',
							input: fields.user_id,
						});
					}
					if (issues.length > 0) return unprocessable(issues);

					if (!this.apiKeys.has(fields.api_key as string)) {
						return { status: 401, body: { detail: { error: 'invalid api_key' } } };
					}
					const userId = canonicalUuid(fields.user_id as string);
					if (!this.linked.has(userId))
						return { status: 404, body: { detail: { error: 'user not found' } } };
					this.linked.delete(userId);
					return { status: 200, acted: true, body: { success: true } };
				},
			},
		];
	}
}

function unprocessable(detail: ValidationIssue[]): Reply {
	return { status: 422, body: { detail } };
}
