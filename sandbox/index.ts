/** Starts the five emulated systems on 127.0.0.1 and seeds their credentials (and, optionally, people). */
import { DEFAULT_PORTS, DEMO_CREDENTIALS, DEMO_SCOPES, type DemoPerson } from './demo';
import { EjentoEmulator } from './systems/ejento';
import { FlashbackEmulator } from './systems/flashback';
import { MudbaseEmulator } from './systems/mudbase';
import { ProductAccessEmulator } from './systems/productAccess';
import { ProductBridgeEmulator } from './systems/productBridge';

export type { EmulatorConfig, FaultKind, RecordedRequest } from './emulator';
export type { HeaderStyle } from './rateLimit';
export * from './demo';
export {
	EjentoEmulator,
	FlashbackEmulator,
	MudbaseEmulator,
	ProductAccessEmulator,
	ProductBridgeEmulator,
};

export interface Sandbox {
	productAccess: ProductAccessEmulator;
	productBridge: ProductBridgeEmulator;
	ejento: EjentoEmulator;
	flashback: FlashbackEmulator;
	mudbase: MudbaseEmulator;
	/** Each system's base URL, as a credential would hold it. */
	baseUrls: Record<keyof typeof DEFAULT_PORTS, string>;
	/** Puts a person into every system's demo scope. */
	addPerson(person: DemoPerson): void;
	/** Ground truth: is `userId` still a member of `system`'s demo scope? */
	isDemoMember(system: keyof typeof DEFAULT_PORTS, userId: string): boolean;
	close(): Promise<void>;
}

export interface SandboxOptions {
	/** Fixed ports (the demo) or 0 for ephemeral ones (tests; the default). */
	ports?: Partial<Record<keyof typeof DEFAULT_PORTS, number>>;
	host?: string;
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
	const host = options.host ?? '127.0.0.1';
	const productAccess = new ProductAccessEmulator();
	const productBridge = new ProductBridgeEmulator();
	const ejento = new EjentoEmulator();
	const flashback = new FlashbackEmulator();
	const mudbase = new MudbaseEmulator();

	productAccess.tokens.add(DEMO_CREDENTIALS.productAccess.token);
	productAccess.addProduct(DEMO_SCOPES.productAccess.productId, 'Demo product');
	productBridge.apiKeys.add(DEMO_CREDENTIALS.productBridge.apiKey);
	ejento.tokens.add(DEMO_CREDENTIALS.ejento.token);
	ejento.apiKeys.add(DEMO_CREDENTIALS.ejento.apiKey);
	ejento.apiKeyHeader = DEMO_CREDENTIALS.ejento.apiKeyHeader.toLowerCase();
	flashback.accounts.set(DEMO_CREDENTIALS.flashback.token, DEMO_CREDENTIALS.flashback.accountId);
	flashback.addWorkspace(DEMO_SCOPES.flashback.workspaceId, [DEMO_CREDENTIALS.flashback.accountId]);
	mudbase.logins.set(DEMO_CREDENTIALS.mudbase.email, {
		password: DEMO_CREDENTIALS.mudbase.password,
		userId: DEMO_CREDENTIALS.mudbase.accountId,
	});
	mudbase.addParticipant(
		DEMO_SCOPES.mudbase.projectId,
		DEMO_SCOPES.mudbase.chatId,
		DEMO_CREDENTIALS.mudbase.accountId,
	);

	const emulators = { productAccess, productBridge, ejento, flashback, mudbase };
	const started: Array<{ close(): Promise<void> }> = [];
	try {
		for (const [id, emulator] of Object.entries(emulators)) {
			await emulator.listen(options.ports?.[id as keyof typeof DEFAULT_PORTS] ?? 0, host);
			started.push(emulator);
		}
	} catch (error) {
		await Promise.all(started.map((e) => e.close()));
		throw error;
	}

	return {
		...emulators,
		baseUrls: {
			productAccess: productAccess.baseUrl,
			productBridge: productBridge.baseUrl,
			ejento: ejento.baseUrl,
			flashback: flashback.baseUrl,
			mudbase: mudbase.baseUrl,
		},
		addPerson(person) {
			productAccess.addMember(DEMO_SCOPES.productAccess.productId, {
				id: person.productAccessUser,
				email: person.email,
				name: person.email.split('@')[0],
			});
			productBridge.addMember(person.productBridgeUserId);
			ejento.addMember(Number(DEMO_SCOPES.ejento.projectId), {
				id: Number(person.ejentoUserId),
				email: person.email,
			});
			flashback.addMember(DEMO_SCOPES.flashback.workspaceId, person.flashbackUserId);
			mudbase.addParticipant(
				DEMO_SCOPES.mudbase.projectId,
				DEMO_SCOPES.mudbase.chatId,
				person.mudbaseUserId,
			);
		},
		isDemoMember(system, userId) {
			switch (system) {
				case 'productAccess':
					return productAccess.isMember(DEMO_SCOPES.productAccess.productId, userId);
				case 'productBridge':
					return productBridge.isMember(userId);
				case 'ejento':
					return ejento.isMember(Number(DEMO_SCOPES.ejento.projectId), Number(userId));
				case 'flashback':
					return flashback.isMember(DEMO_SCOPES.flashback.workspaceId, userId);
				case 'mudbase':
					return mudbase.isParticipant(
						DEMO_SCOPES.mudbase.projectId,
						DEMO_SCOPES.mudbase.chatId,
						userId,
					);
			}
		},
		async close() {
			await Promise.all(Object.values(emulators).map((e) => e.close()));
		},
	};
}
