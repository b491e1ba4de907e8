/** The demo data set and credentials: what `npm run sandbox` serves and the examples point at. */

export const DEFAULT_PORTS = {
	productAccess: 4701,
	productBridge: 4702,
	ejento: 4703,
	flashback: 4704,
	mudbase: 4705,
} as const;

/** Sandbox-only secrets: they open nothing but these emulators. */
export const DEMO_CREDENTIALS = {
	productAccess: { token: 'pa_demo_token_4f1c' },
	productBridge: { apiKey: 'pb_demo_key_9a2e' },
	ejento: { token: 'ej_demo_token_77d0', apiKey: 'ej_demo_key_1b3c', apiKeyHeader: 'X-API-Key' },
	flashback: { token: 'fb_demo_token_c0de', accountId: 'usr_admin' },
	mudbase: {
		email: 'admin@sandbox.test',
		password: 'mb-demo-password-5e6f',
		accountId: 'usr_admin',
	},
} as const;

export const DEMO_SCOPES = {
	productAccess: { productId: 'prod_demo' },
	productBridge: {},
	ejento: { projectId: '151' },
	flashback: { workspaceId: 'ws_demo' },
	mudbase: { projectId: 'proj_demo', chatId: 'chat_general' },
} as const;

export interface DemoPerson {
	email: string;
	productAccessUser: string;
	productBridgeUserId: string;
	ejentoUserId: string;
	flashbackUserId: string;
	mudbaseUserId: string;
}

export function demoPerson(n: number): DemoPerson {
	const padded = String(n).padStart(12, '0');
	return {
		email: `person${n}@example.com`,
		productAccessUser: `pa_user_${n}`,
		productBridgeUserId: `00000000-0000-4000-8000-${padded}`,
		ejentoUserId: String(1000 + n),
		flashbackUserId: `fb_user_${n}`,
		mudbaseUserId: `usr_person${n}`,
	};
}

export const DEMO_PEOPLE: readonly DemoPerson[] = Array.from({ length: 10 }, (_, i) =>
	demoPerson(i + 1),
);

/** The leavers CSV columns: an HR export as the nightly example reads it. */
export const CSV_COLUMNS = [
	'email',
	'productAccessUser',
	'productBridgeUserId',
	'ejentoUserId',
	'flashbackUserId',
	'mudbaseUserId',
] as const;

export function leaversCsv(people: readonly Partial<DemoPerson>[], delimiter = ','): string {
	const lines = [CSV_COLUMNS.join(delimiter)];
	for (const p of people) lines.push(CSV_COLUMNS.map((c) => p[c] ?? '').join(delimiter));
	return `${lines.join('\r\n')}\r\n`;
}
