/** "Remove User from Product" (v1; vendor and host unnamed): DELETE {baseUrl}/{productId}/users/{user}. */
import { z } from 'zod';
import type { SystemDefinition } from './types';

// The page's TypeScript type `DeletedProductOnUserResponse`, exactly.
const success = z.object({
	cancelledAt: z.string().nullable(),
	suspendedAt: z.string().nullable(),
	id: z.string(),
	product: z.object({ id: z.string(), title: z.string() }),
	createdAt: z.string(),
	user: z.object({ id: z.string(), name: z.string(), image: z.string().nullable() }),
});

export const productAccess: SystemDefinition = {
	id: 'productAccess',
	displayName: 'Product Access',
	credential: { type: 'productAccessApi', auth: () => ({ kind: 'bearer', tokenField: 'token' }) },
	userIdField: 'productAccessUser',
	userIdLabel: 'user id or email',
	userIdRule: 'text',
	scopeFields: [{ key: 'productId', label: 'product id', rule: 'text' }],
	method: 'DELETE',
	path: '/{productId}/users/{userId}',
	success,
	successDetail: (body) => {
		const { cancelledAt, suspendedAt } = body as z.infer<typeof success>;
		return { cancelledAt, suspendedAt };
	},
	// ours: the page documents no status codes.
	notThere: { status: 404, message: /user not found/i },
	rules: [
		{
			status: 404,
			message: /product not found/i,
			kind: 'wrong_scope',
			hint: 'the product id is unknown to this account: check the product id and the base URL',
		},
	],
};
