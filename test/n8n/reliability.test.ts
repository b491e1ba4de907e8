/**
 * Misconfiguration, secrets under every kind of failure, and the safety rails, each as one table
 * through the nodes (n8n-core's WorkflowExecute) against the five emulators, judged by the
 * emulators' ground truth. Rows are recorded for docs/RELIABILITY.md (`npm run reliability`).
 */
import type { ICredentialDataDecryptedObject, IDataObject } from 'n8n-workflow';
import { parseReport, type ReportRecord } from '../../e2e/reportTable';
import { freePort } from '../../e2e/n8n';
import { Flashback } from '../../nodes/Flashback/Flashback.node';
import { OffboardUsers } from '../../nodes/OffboardUsers/OffboardUsers.node';
import { processLimiters } from '../../src/engine/limiter';
import { CREDENTIAL_TYPES as CREDENTIAL_TYPE_OF } from '../../src/n8n/systems';
import { SEED_SYSTEM_IDS, type SeedSystemId } from '../../src/systems';
import {
	DEMO_CREDENTIALS,
	DEMO_SCOPES,
	demoPerson,
	type EmulatorConfig,
	type Sandbox,
	startSandbox,
	USER_ID_FIELD,
} from '../../sandbox';
import { runNode } from '../support/n8n';
import {
	CREDENTIAL_TYPES,
	DEMO_SECRETS,
	fastLimits,
	offboardParameters,
	sandboxCredentials,
	SHORT,
} from '../support/n8nSandbox';
import { counted, recordReliability } from '../support/reliability';

jest.setTimeout(60_000);

let sandbox: Sandbox;
beforeEach(async () => {
	processLimiters.clear();
	sandbox = await startSandbox();
	for (const person of PEOPLE) sandbox.addPerson(person);
});
afterEach(async () => {
	await sandbox.close();
});

const PEOPLE = [1, 2, 3].map((n) => demoPerson(n));
const FAST = fastLimits({ maxConcurrency: 4, ratePerSecond: 100, requestTimeoutSeconds: 1 });

type CredentialPatch = Partial<Record<SeedSystemId, Record<string, string>>>;

interface Offboarded {
	summary: IDataObject;
	report: ReportRecord[];
	errors: IDataObject[];
	/** Everything the node produced, serialised: outputs, the report, errors. */
	everything: string;
}

/** Offboard Users, summary + CSV report, On Error "continue (using error output)". */
async function offboard(
	options: {
		credentials?: CredentialPatch;
		parameters?: Record<string, unknown>;
		nodeOptions?: Record<string, unknown>;
		items?: IDataObject[];
	} = {},
): Promise<Offboarded> {
	const credentials = sandboxCredentials(sandbox);
	for (const [system, patch] of Object.entries(options.credentials ?? {}))
		Object.assign(credentials[CREDENTIAL_TYPE_OF[system as SeedSystemId]], patch);
	const { outputs, run } = await runNode({
		nodeType: new OffboardUsers(),
		credentialTypes: CREDENTIAL_TYPES,
		credentials,
		items: (options.items ?? PEOPLE.map((p) => ({ ...p }))).map((json) => ({ json })),
		parameters: offboardParameters({
			outputMode: 'summary',
			...options.parameters,
			options: { ...FAST, ...options.nodeOptions },
		}) as never,
		settings: { onError: 'continueErrorOutput' },
	});
	const error = run.data.resultData.error;
	const [summaryItem] = outputs[0] ?? [];
	const reportText = summaryItem?.binary?.report
		? Buffer.from(summaryItem.binary.report.data, 'base64').toString('utf8')
		: '';
	return {
		summary: { ...(summaryItem?.json ?? {}), ...(error ? { runError: error.message } : {}) },
		report: reportText ? parseReport(reportText) : [],
		errors: (outputs[1] ?? []).map((i) => i.json),
		everything: `${JSON.stringify(run)}\n${reportText}`,
	};
}

const statusesOf = (report: ReportRecord[], system: SeedSystemId): string[] =>
	report.filter((r) => r.system === system).map((r) => r.status);

describe('misconfiguration, per system, through Offboard Users (all five systems, 3 people)', () => {
	const wrongSecret: Record<SeedSystemId, Record<string, string>> = {
		productAccess: { token: 'wrong-pa-token' },
		productBridge: { apiKey: 'wrong-pb-key' },
		ejento: { token: 'wrong-ej-token' },
		flashback: { token: 'wrong-fb-token' },
		mudbase: { password: 'wrong-mb-password' },
	};
	const wrongScope: Partial<Record<SeedSystemId, Record<string, string>>> = {
		productAccess: { productAccessProductIdValues: 'prod_typo' },
		ejento: { ejentoProjectIdValues: '999' },
		flashback: { flashbackWorkspaceIdValues: 'ws_typo' },
		mudbase: { mudbaseChatIdValues: 'chat_typo' },
	};

	type Case = {
		label: string;
		system: SeedSystemId;
		setup: () => Promise<{ credentials?: CredentialPatch; parameters?: Record<string, unknown> }>;
		/** The misconfigured system's statuses, a pattern its first reason must match, requests it got. */
		expected: { statuses: string; reason: RegExp; requests: number | null; warnings?: RegExp[] };
	};
	const cases: Case[] = SEED_SYSTEM_IDS.flatMap((system): Case[] => [
		{
			label: 'wrong base URL (a path that is not the API)',
			system,
			setup: async () => ({
				credentials: { [system]: { baseUrl: `${sandbox.baseUrls[system]}/not-the-api` } },
			}),
			expected: {
				statuses: 'failed 3',
				reason:
					system === 'mudbase'
						? /refused the credential's login \(404: Not Found\): check the base URL and the login path/
						: /answered 404: Not Found, which is not its "not there" answer: check the base URL and scope ids/,
				// Mudbase: the refused login opens the circuit at once.
				requests: system === 'mudbase' ? 1 : 3,
			},
		},
		{
			label: 'wrong base URL (nothing listening)',
			system,
			setup: async () => ({
				credentials: { [system]: { baseUrl: `http://127.0.0.1:${await freePort()}` } },
			}),
			expected: { statuses: 'failed 3', reason: /ECONNREFUSED|connect/i, requests: null },
		},
		...(wrongScope[system]
			? [
					{
						label: 'wrong scope id',
						system,
						setup: async () => ({ parameters: wrongScope[system] }),
						expected:
							system === 'ejento'
								? {
										// Documented: Ejento answers an unknown project like a missing user. No
										// removal ever succeeded in project 999: each "not found" is unconfirmed.
										statuses: 'not_found 3',
										reason:
											/^not found — unconfirmed: Ejento answers an unknown project exactly like a user without access \(404 Record Not Found\); check project 999 \(a removal there confirms it\)\. .*Record Not Found/,
										requests: 3,
										warnings: [
											/^Ejento: all 3 users were not found\. Check the base URL and scope ids/,
											/^Ejento: 3 "not found" answers are unconfirmed: Ejento answers an unknown project exactly like a user without access \(404 Record Not Found\)\. Check project 999: until a removal there succeeds/,
										],
									}
								: {
										statuses: 'failed 3',
										reason: /check|scope|workspace|chat|product/i,
										// One request: a wrong-scope answer (Product Access, Mudbase) fails the rest
										// of its scope at once, and Flashback's permission 403 opens the run's
										// circuit. Mudbase: its login, then one removal.
										requests: system === 'mudbase' ? 2 : 1,
									},
					},
				]
			: []),
		{
			label: 'wrong secret',
			system,
			setup: async () => ({ credentials: { [system]: wrongSecret[system] } }),
			expected: {
				statuses: 'failed 3',
				reason:
					system === 'mudbase'
						? /refused the credential's login \(401: Invalid email or password\): check the email and password/
						: /rejected the credential \(401|refused the credential's permissions \(403/,
				// One request, then the circuit; Mudbase: two logins (n8n's own retry), no removal.
				requests: system === 'mudbase' ? 2 : 1,
			},
		},
	]);

	it.each(cases.map((c) => [`${SHORT[c.system]} ${c.label}`, c] as const))(
		'%s: failed with a hint, never a silent not_found; the other systems unaffected',
		async (_name, testCase) => {
			const { system, expected } = testCase;
			const result = await offboard(await testCase.setup());
			const mine = statusesOf(result.report, system);
			const reasons = result.report.filter((r) => r.system === system).map((r) => r.reason);
			const others = SEED_SYSTEM_IDS.filter((s) => s !== system).flatMap((s) =>
				statusesOf(result.report, s),
			);
			const requests = sandbox[system].requests.length;
			const stillThere = PEOPLE.filter((p) =>
				sandbox.isDemoMember(system, p[USER_ID_FIELD[system]]),
			).length;
			const warnings = (result.summary.warnings as string[] | undefined) ?? [];
			recordReliability({
				table: 'Misconfiguration',
				case: `${SHORT[system]}: ${testCase.label}`,
				expected: `${expected.statuses}${expected.requests === null ? '' : ` · ${expected.requests} request(s)`} · others removed 12${expected.warnings ? ` · ${expected.warnings.length} warnings` : ''}`,
				observed: `${counted(mine)}${expected.requests === null ? '' : ` · ${requests} request(s)`} · others ${counted(others)} · still members ${stillThere}/3${warnings.length ? ` · warning "${warnings[0].slice(0, 60)}…"` : ''} · "${reasons[0]?.slice(0, 110)}"`,
			});
			expect(counted(mine)).toBe(expected.statuses);
			expect(reasons[0]).toMatch(expected.reason);
			if (expected.requests !== null) expect(requests).toBe(expected.requests);
			expect(counted(others)).toBe('removed 12');
			expect(stillThere).toBe(3);
			expect(warnings).toEqual((expected.warnings ?? []).map((w) => expect.stringMatching(w)));
			// Failures also reach the error output, one item per failed pair.
			expect(result.errors).toHaveLength(mine.filter((s) => s === 'failed').length);
		},
	);

	it("FB: the credential's own account in the input is skipped, and the circuit stays closed", async () => {
		const own = DEMO_CREDENTIALS.flashback.accountId;
		sandbox.flashback.addMember(DEMO_SCOPES.flashback.workspaceId, own);
		const result = await offboard({
			parameters: { systems: ['flashback'] },
			items: [{ flashbackUserId: own }, ...PEOPLE.map((p) => ({ ...p }))],
		});
		const statuses = statusesOf(result.report, 'flashback');
		recordReliability({
			table: 'Misconfiguration',
			case: "FB: the credential's own account among 4 rows",
			expected: 'skipped 1, removed 3 · own account still a member',
			observed: `${counted(statuses)} · own account still a member: ${sandbox.flashback.isMember(DEMO_SCOPES.flashback.workspaceId, own)}`,
		});
		expect(statuses).toEqual(['skipped', 'removed', 'removed', 'removed']);
		expect(sandbox.flashback.isMember(DEMO_SCOPES.flashback.workspaceId, own)).toBe(true);
	});
});

/** Every spelling a secret could take in text: as is, JSON-escaped, percent-encoded, base64. */
function spellings(secret: string): string[] {
	return [
		...new Set([
			secret,
			JSON.stringify(secret).slice(1, -1),
			encodeURIComponent(secret),
			Buffer.from(secret).toString('base64'),
		]),
	];
}

/** The Mudbase JWTs n8n obtained during the run: secrets too. */
function jwtsSeen(): string[] {
	return sandbox.mudbase.requests
		.map((r) => String(r.headers.authorization ?? ''))
		.filter((h) => h.startsWith('Bearer '))
		.map((h) => h.slice('Bearer '.length));
}

describe('secrets under every kind of failure (all five credential types)', () => {
	const faults = (config: Partial<EmulatorConfig>) => () => {
		for (const system of SEED_SYSTEM_IDS) sandbox[system].configure(config);
	};
	const WRONG: CredentialPatch = {
		productAccess: { token: 'pa-wrong-secret-1' },
		productBridge: { apiKey: 'pb-wrong-secret-2' },
		ejento: { token: 'ej-wrong-secret-3' },
		flashback: { token: 'fb-wrong-secret-4' },
		mudbase: { password: 'mb-wrong-secret-5' },
	};
	const cases: Array<{
		label: string;
		arrange?: () => void;
		options?: Parameters<typeof offboard>[0];
		secrets?: string[];
	}> = [
		{
			label: 'every system echoes the request in a 500',
			arrange: faults({ faults: { script: [], rates: { echo: 1 } } }),
		},
		{
			label: 'ProductBridge 422 echoing the body (a non-UUID id)',
			options: { items: [{ productBridgeUserId: 'not-a-uuid', email: 'x@example.com' }] },
		},
		{
			label: 'wrong secrets everywhere (401/403)',
			options: { credentials: WRONG },
			secrets: Object.values(WRONG).flatMap((p) => Object.values(p ?? {})),
		},
		{ label: 'redirects', arrange: faults({ faults: { script: [], rates: { redirect: 1 } } }) },
		{ label: 'timeouts (1 s)', arrange: faults({ faults: { script: [], rates: { hang: 1 } } }) },
		{
			label: 'resets and HTML 502s',
			arrange: faults({ faults: { script: [], rates: { reset: 0.5, html502: 0.5 } } }),
		},
		{
			label: 'a quota (Retry-After beyond the cap)',
			arrange: faults({ rateLimit: { rate: 0.0001, burst: 0, headers: 'retry-after-seconds' } }),
		},
		{
			label: 'hostile ids',
			options: {
				items: [
					{
						email: 'h@example.com',
						productAccessUser: '..',
						productBridgeUserId: 'a\nb',
						ejentoUserId: '007',
						flashbackUserId: '%2e%2e',
						mudbaseUserId: '\ud800',
					},
				],
			},
		},
		{ label: 'dry run (requests shown)', options: { nodeOptions: { dryRun: true } } },
	];

	it.each(cases.map((c) => [c.label, c] as const))(
		'%s: no secret in any output, error or report',
		async (_label, testCase) => {
			testCase.arrange?.();
			const result = await offboard(testCase.options);
			const secrets = [...DEMO_SECRETS, ...(testCase.secrets ?? []), ...jwtsSeen()];
			const found = secrets.flatMap((secret) =>
				spellings(secret).filter((s) => result.everything.includes(s)),
			);
			const statuses = SEED_SYSTEM_IDS.flatMap((s) => statusesOf(result.report, s));
			recordReliability({
				table: 'Secrets',
				case: testCase.label,
				expected: '0 secret spellings found',
				observed: `${found.length} of ${secrets.length * 4} spellings found · outcomes: ${counted(statuses)}${result.summary.runError ? ` · run refused` : ''} · errors ${result.errors.length}`,
			});
			expect(found).toEqual([]);
			if (testCase.label.includes('echoes')) {
				// The answers really carried every system's credential back (so redaction had work).
				const echoedSecrets = SEED_SYSTEM_IDS.filter((s) =>
					sandbox[s].requests.some((r) => r.fault === 'echo'),
				);
				expect(echoedSecrets).toEqual(SEED_SYSTEM_IDS);
			}
			expect(result.report.length + (result.summary.runError ? 1 : 0)).toBeGreaterThan(0);
		},
	);
});

/** The Flashback node as an AI agent's tool (n8n names it so), with a budget of 2 removals an hour. */
function callFlashbackTool(userIds: string[], workspaceId: string) {
	const node = new Flashback();
	node.description = { ...node.description, name: `${node.description.name}Tool` };
	return runNode({
		nodeType: node,
		credentialTypes: CREDENTIAL_TYPES,
		credentials: {
			flashbackApi: sandboxCredentials(sandbox).flashbackApi as ICredentialDataDecryptedObject,
		},
		items: userIds.map((userId) => ({ json: { userId } })),
		parameters: {
			resource: 'user',
			operation: 'remove',
			workspaceId,
			userId: '={{ $json.userId }}',
			options: { toolBudgetPerHour: 2 },
		} as never,
	});
}

describe('safety rails: what they protect gets no request', () => {
	it('the deletion threshold refuses the run before any call', async () => {
		const result = await offboard({ nodeOptions: { deletionThreshold: 14 } });
		const sent = SEED_SYSTEM_IDS.reduce((n, s) => n + sandbox[s].removalRequests().length, 0);
		recordReliability({
			table: 'Safety rails',
			case: 'deletion threshold 14, 15 removals planned',
			expected: 'run refused · 0 removal requests',
			observed: `${result.summary.runError ? 'run refused' : 'ran'} · ${sent} removal requests`,
		});
		expect(result.summary.runError).toBe(
			'This run would send 15 removals (3 people, one removal per person, system and scope), above the deletion threshold of 14: nothing was sent. Check the input, then raise the threshold or split the batch.',
		);
		expect(sent).toBe(0);
	});

	it('Protected Users, in other case and spacing, get no request in any system', async () => {
		const result = await offboard({
			nodeOptions: { protectedUsers: '  PERSON1@Example.COM ;\n FB_USER_2 ' },
		});
		const forProtected = SEED_SYSTEM_IDS.flatMap((s) =>
			sandbox[s].removalRequests().filter((r) => {
				const text = `${r.rawUrl} ${r.body}`;
				return (
					text.includes(encodeURIComponent(PEOPLE[0][USER_ID_FIELD[s]])) ||
					text.includes(PEOPLE[0][USER_ID_FIELD[s]]) ||
					(s === 'flashback' && text.includes('fb_user_2'))
				);
			}),
		);
		const statuses = SEED_SYSTEM_IDS.flatMap((s) => statusesOf(result.report, s));
		recordReliability({
			table: 'Safety rails',
			case: 'Protected Users "  PERSON1@Example.COM ;\\n FB_USER_2 "',
			expected: '0 requests for person1 (5 systems) and fb_user_2 · skipped 6, removed 9',
			observed: `${forProtected.length} requests for them · ${counted(statuses)}`,
		});
		expect(forProtected).toEqual([]);
		expect(counted(statuses)).toBe('skipped 6, removed 9');
	});

	it('a dry run sends no removal and shows each request', async () => {
		const result = await offboard({ nodeOptions: { dryRun: true } });
		const sent = SEED_SYSTEM_IDS.reduce((n, s) => n + sandbox[s].requests.length, 0);
		const statuses = SEED_SYSTEM_IDS.flatMap((s) => statusesOf(result.report, s));
		recordReliability({
			table: 'Safety rails',
			case: 'dry run, 15 pairs',
			expected: '0 requests of any kind · would_remove 15, each with its request',
			observed: `${sent} requests · ${counted(statuses)} · ${result.report.filter((r) => r.request !== '').length} with a request`,
		});
		expect(sent).toBe(0);
		expect(counted(statuses)).toBe('would_remove 15');
		expect(result.report.every((r) => /^(DELETE|POST) http/.test(r.request))).toBe(true);
	});

	it("the per-system node's tool budget refuses removals beyond it before any call", async () => {
		const ids = PEOPLE.map((p) => p.flashbackUserId);
		const call = (userIds: string[]) =>
			callFlashbackTool(userIds, DEMO_SCOPES.flashback.workspaceId);
		const first = await call(ids.slice(0, 2));
		const second = await call(ids.slice(2));
		const sent = sandbox.flashback.removalRequests().length;
		recordReliability({
			table: 'Safety rails',
			case: 'Flashback node, tool budget 2/hour: 2 removals, then 1 more',
			expected: 'second call refused · 2 removal requests · person3 still a member',
			observed: `second call ${second.run.data.resultData.error ? 'refused' : 'ran'} · ${sent} removal requests · person3 still a member: ${sandbox.isDemoMember('flashback', ids[2])}`,
		});
		expect(first.outputs[0].map((i) => i.json.status)).toEqual(['removed', 'removed']);
		expect(second.run.data.resultData.error?.message).toMatch(
			/^Tool removal budget reached: 2 of 2 removals/,
		);
		expect(sent).toBe(2);
		expect(sandbox.isDemoMember('flashback', ids[2])).toBe(true);
	});

	it('a tool call charges its budget per pair after planning: a workspace list is one id, a call over budget is refused whole', async () => {
		const ids = PEOPLE.map((p) => p.flashbackUserId);
		const call = callFlashbackTool;
		// Five workspaces in one argument: one id (Flashback: an unknown workspace), never five removals.
		const listed = await call([ids[0]], 'w1,w2,w3,w4,w5');
		const afterList = sandbox.flashback.removalRequests().length;
		// Three users in one call with one removal left: refused whole, nothing sent.
		const overBudget = await call(ids.slice(0, 3), DEMO_SCOPES.flashback.workspaceId);
		const sent = sandbox.flashback.removalRequests().length;
		recordReliability({
			table: 'Safety rails',
			case: 'Flashback tool, budget 2/hour: workspace "w1,w2,w3,w4,w5", then a call for 3 users',
			expected:
				'the list is one workspace id: 1 request, failed · the 3-user call refused whole · 1 request in all',
			observed: `${afterList} request(s) for the list, ${String(listed.outputs[0]?.[0]?.json.status)} · 3-user call ${overBudget.run.data.resultData.error ? 'refused' : 'ran'} · ${sent} request(s) in all`,
		});
		expect(afterList).toBe(1);
		expect(listed.outputs[0].map((i) => i.json.status)).toEqual(['failed']);
		expect(sandbox.flashback.removalRequests()[0].rawUrl).toBe(
			`/workspace/w1%2Cw2%2Cw3%2Cw4%2Cw5/users/${ids[0]}`,
		);
		expect(overBudget.run.data.resultData.error?.message).toMatch(
			/^Tool removal budget reached: 1 of 2 removals used in the last hour with this credential \(this call asks for 3\)\. Nothing was sent;/,
		);
		expect(sent).toBe(1);
		expect(ids.slice(0, 3).map((id) => sandbox.isDemoMember('flashback', id))).toEqual([
			true,
			true,
			true,
		]);
	});
});
