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

/** Offboard Users parameters that fix every system's scope to the demo one. */
export const DEMO_SCOPE_PARAMETERS = {
	productAccessProductIdSource: 'fixed',
	productAccessProductIdValues: DEMO_SCOPES.productAccess.productId,
	ejentoProjectIdSource: 'fixed',
	ejentoProjectIdValues: DEMO_SCOPES.ejento.projectId,
	flashbackWorkspaceIdSource: 'fixed',
	flashbackWorkspaceIdValues: DEMO_SCOPES.flashback.workspaceId,
	mudbaseProjectIdSource: 'fixed',
	mudbaseProjectIdValues: DEMO_SCOPES.mudbase.projectId,
	mudbaseChatIdSource: 'fixed',
	mudbaseChatIdValues: DEMO_SCOPES.mudbase.chatId,
} as const;

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

/**
 * The columns of an HR export, as the nightly example maps them (Offboard Users' column settings):
 * each field of a demo person under the name HR gives it.
 */
export const HR_COLUMNS = {
	email: 'Work Email',
	productAccessUser: 'Product Access Login',
	productBridgeUserId: 'ProductBridge ID',
	ejentoUserId: 'Ejento User ID',
	flashbackUserId: 'Flashback ID',
	mudbaseUserId: 'Mudbase User',
} as const satisfies Record<keyof DemoPerson, string>;

/**
 * A leavers file as an HR system exports it: its own column names (`HR_COLUMNS`), in its own
 * order, between columns the run does not read (employee number, name, last day).
 */
export function hrLeaversCsv(people: readonly Partial<DemoPerson>[]): string {
	const lines = [
		[
			'Employee No',
			'Full Name',
			HR_COLUMNS.email,
			'Last Day',
			HR_COLUMNS.flashbackUserId,
			HR_COLUMNS.ejentoUserId,
			HR_COLUMNS.productAccessUser,
			HR_COLUMNS.productBridgeUserId,
			HR_COLUMNS.mudbaseUserId,
		].join(','),
	];
	people.forEach((p, i) => {
		const name = (p.email ?? `leaver${i + 1}@`).split('@')[0];
		lines.push(
			[
				`E${String(10_001 + i)}`,
				`"${name[0].toUpperCase()}${name.slice(1)}, Test"`,
				p.email ?? '',
				'2026-11-30',
				p.flashbackUserId ?? '',
				p.ejentoUserId ?? '',
				p.productAccessUser ?? '',
				p.productBridgeUserId ?? '',
				p.mudbaseUserId ?? '',
			].join(','),
		);
	});
	return `${lines.join('\r\n')}\r\n`;
}

/** Each system's user-id field of a leavers row. */
export const USER_ID_FIELD = {
	productAccess: 'productAccessUser',
	productBridge: 'productBridgeUserId',
	ejento: 'ejentoUserId',
	flashback: 'flashbackUserId',
	mudbase: 'mudbaseUserId',
} as const satisfies Record<keyof typeof DEFAULT_PORTS, keyof DemoPerson>;

/** The credential data (as n8n's credential types hold it) for the sandbox at `baseUrls`. */
export function sandboxCredentialData(
	baseUrls: Record<keyof typeof DEFAULT_PORTS, string>,
): Record<string, Record<string, string>> {
	const c = DEMO_CREDENTIALS;
	return {
		productAccessApi: { baseUrl: baseUrls.productAccess, token: c.productAccess.token },
		productBridgeApi: { baseUrl: baseUrls.productBridge, apiKey: c.productBridge.apiKey },
		ejentoApi: {
			baseUrl: baseUrls.ejento,
			authType: 'bearer',
			token: c.ejento.token,
			apiKeyHeader: c.ejento.apiKeyHeader,
			apiKey: '',
		},
		flashbackApi: { baseUrl: baseUrls.flashback, token: c.flashback.token },
		mudbaseApi: {
			baseUrl: baseUrls.mudbase,
			mode: 'login',
			email: c.mudbase.email,
			password: c.mudbase.password,
			loginPath: '/api/auth/login',
			emailField: 'email',
			passwordField: 'password',
			tokenPath: 'token',
			sessionToken: '',
		},
	};
}

/** The demo's fixed ports, each overridable with SANDBOX_PORT_<SYSTEM>. */
export function portsFromEnv(
	env: NodeJS.ProcessEnv = process.env,
): Record<keyof typeof DEFAULT_PORTS, number> {
	const ports = { ...DEFAULT_PORTS } as Record<keyof typeof DEFAULT_PORTS, number>;
	for (const id of Object.keys(ports) as Array<keyof typeof DEFAULT_PORTS>) {
		const fromEnv = env[`SANDBOX_PORT_${id.toUpperCase()}`];
		if (fromEnv) ports[id] = Number(fromEnv);
	}
	return ports;
}
