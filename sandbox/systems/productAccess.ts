/** Emulated "Remove User from Product" (DESIGN §2: our 404 answers, 401 for a bad token). */
import { bearerToken, Emulator, type Reply, type Route } from '../emulator';

export interface ProductAccessUser {
	id: string;
	email: string;
	name: string;
}

interface Membership {
	id: string;
	user: ProductAccessUser;
	createdAt: string;
}

export const PRODUCT_ACCESS_PREFIX = '/api/v1/products';

export class ProductAccessEmulator extends Emulator {
	readonly name = 'productAccess';
	readonly tokens = new Set<string>();
	private readonly products = new Map<
		string,
		{ title: string; members: Map<string, Membership> }
	>();
	private nextMembership = 1;

	/** The base URL a credential uses: `{baseUrl}/{productId}/users/{user}`. */
	get baseUrl(): string {
		return `${this.origin}${PRODUCT_ACCESS_PREFIX}`;
	}

	addProduct(productId: string, title = `Product ${productId}`): void {
		if (!this.products.has(productId)) this.products.set(productId, { title, members: new Map() });
	}

	addMember(productId: string, user: ProductAccessUser): void {
		this.addProduct(productId);
		const id = `pou_${this.nextMembership++}`;
		this.products
			.get(productId)
			?.members.set(user.id, { id, user, createdAt: new Date().toISOString() });
	}

	/** Ground truth: is the user (by id or email) still on the product? */
	isMember(productId: string, user: string): boolean {
		const product = this.products.get(productId);
		return product !== undefined && this.find(product.members, user) !== undefined;
	}

	snapshot(): Record<string, string[]> {
		const out: Record<string, string[]> = {};
		for (const [id, product] of this.products) out[id] = [...product.members.keys()];
		return out;
	}

	private find(members: Map<string, Membership>, user: string): Membership | undefined {
		const byId = members.get(user);
		if (byId) return byId;
		const email = user.toLowerCase();
		return [...members.values()].find((m) => m.user.email.toLowerCase() === email);
	}

	protected routes(): Route[] {
		const prefix = PRODUCT_ACCESS_PREFIX.replace(/\//g, '\\/');
		return [
			{
				name: 'removeUser',
				method: 'DELETE',
				pattern: new RegExp(`^${prefix}\\/([^/]+)\\/users\\/([^/]+)$`),
				guarded: true,
				handle: ({ params: [productId, user], headers }): Reply => {
					const token = bearerToken(headers);
					if (!token || !this.tokens.has(token))
						return { status: 401, body: { message: 'Unauthorized' } };
					const product = this.products.get(productId);
					if (!product) return { status: 404, body: { message: 'Product not found' } };
					const membership = this.find(product.members, user);
					if (!membership) return { status: 404, body: { message: 'User not found' } };
					product.members.delete(membership.user.id);
					return {
						status: 200,
						acted: true,
						body: {
							cancelledAt: new Date().toISOString(),
							suspendedAt: null,
							id: membership.id,
							product: { id: productId, title: product.title },
							createdAt: membership.createdAt,
							user: { id: membership.user.id, name: membership.user.name, image: null },
						},
					};
				},
			},
		];
	}
}
