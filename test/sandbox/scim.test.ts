/**
 * The SCIM system against SCIM servers nobody here wrote (scimmy + scimmy-routers; Better Auth's
 * SCIM provider), judged by their own stored users: each leaver deactivated or deleted exactly
 * once, found by email, missing and ambiguous users reported honestly, bystanders untouched — and
 * through a fault proxy: 429 + Retry-After, 503, resets, an answer lost after the server acted.
 */
import { bearer } from '../../src/auth/schemes';
import { realClock } from '../../src/engine/clock';
import { LimiterRegistry } from '../../src/engine/limiter';
import { offboard } from '../../src/engine/offboard';
import type { PairOutcome } from '../../src/engine/outcome';
import type { InputRow } from '../../src/engine/rows';
import { DEFAULT_LIMITS } from '../../src/engine/limiter';
import { DEFAULT_RETRY } from '../../src/engine/retry';
import { type ScimOptions, scimSystem } from '../../src/systems/scim';
import { createFetchTransport } from '../../src/transport/fetchTransport';
import { counted, recordReliability } from '../support/reliability';
import { type FaultProxy, type FaultRule, startFaultProxy } from '../support/faultProxy';
import {
	type ScimServer,
	type ScimServerKind,
	type ScimState,
	changesSince,
	type SeedUser,
	startScimServer,
} from '../support/scimServers';

jest.setTimeout(60_000);

const TOKEN = 'scim-test-token-5b1e';

/** Leavers 1–3, a bystander and an inactive leaver. */
const USERS: SeedUser[] = [
	{ userName: 'leaver1@example.com', emails: ['leaver1@example.com'] },
	{ userName: 'leaver2@example.com', emails: ['leaver2@example.com'] },
	{ userName: 'leaver3@example.com', emails: ['leaver3@example.com'] },
	{ userName: 'stays@example.com', emails: ['stays@example.com'] },
	{ userName: 'gone@example.com', emails: ['gone@example.com'], active: false },
];
/** Two accounts sharing one email (Better Auth refuses to store them: one email, one user). */
const TWINS: SeedUser[] = [
	{ userName: 'twin-a', emails: ['twin@example.com'] },
	{ userName: 'twin-b', emails: ['twin@example.com'] },
];

function rows(emails: readonly string[]): InputRow[] {
	return emails.map((email, i) => ({ kind: 'person', row: i + 1, fields: { email } }));
}

async function run(
	baseUrl: string,
	options: ScimOptions,
	emails: readonly string[],
	name = 'App',
): Promise<PairOutcome[]> {
	const system = scimSystem(options, name);
	const offboarding = await offboard(() => rows(emails), {
		plan: { systems: [{ system, baseUrl, scopes: {} }] },
		systems: {
			scim: {
				system,
				baseUrl,
				transport: createFetchTransport({ authenticate: bearer(TOKEN) }),
				secrets: () => [TOKEN],
				credentialKey: `test:${baseUrl}`,
				limits: { ...DEFAULT_LIMITS, ratePerSecond: 50 },
				retry: { ...DEFAULT_RETRY, baseDelayMs: 20, maxDelayMs: 200, requestTimeoutMs: 3_000 },
			},
		},
		limiters: new LimiterRegistry(realClock),
	});
	const out: PairOutcome[] = [];
	for await (const outcome of offboarding) out.push(outcome);
	return out.sort((a, b) => a.row - b.row);
}

function record(
	testCase: string,
	expected: string,
	outcomes: readonly PairOutcome[],
	changed: unknown,
) {
	recordReliability({
		table: 'SCIM apps',
		case: testCase,
		expected,
		observed: `${counted(outcomes.map((o) => o.status))} · changes ${JSON.stringify(changed)}`,
	});
}

function brief(outcomes: readonly PairOutcome[]) {
	return outcomes.map((o) => [o.email, o.status, o.kind]);
}

function userOf(state: ScimState, userName: string) {
	return state.users.find((u) => u.userName === userName);
}

/** Changes per userName, from the server's own log. */
function changes(state: ScimState, seeded: ScimState): Record<string, string[]> {
	const out: Record<string, string[]> = {};
	for (const [name, method] of changesSince(state, seeded)) (out[name] ??= []).push(method);
	return out;
}

describe.each<ScimServerKind>(['scimmy', 'betterAuth'])('SCIM against %s', (kind) => {
	let server: ScimServer;
	let seeded: ScimState;
	beforeEach(async () => {
		server = await startScimServer(kind, { token: TOKEN, users: USERS });
		seeded = await server.state();
	});
	afterEach(async () => {
		await server?.stop();
	});

	it('Deactivate by userName: each leaver once, the inactive one and the unknown one not found, bystanders untouched', async () => {
		const outcomes = await run(server.baseUrl, { action: 'deactivate', findBy: 'userName' }, [
			'leaver1@example.com',
			'leaver2@example.com',
			'gone@example.com',
			'nobody@example.com',
		]);
		expect(brief(outcomes)).toEqual([
			['leaver1@example.com', 'removed', 'removed'],
			['leaver2@example.com', 'removed', 'removed'],
			['gone@example.com', 'not_found', 'not_there'],
			['nobody@example.com', 'not_found', 'not_there'],
		]);
		expect(outcomes[2].reason).toBe(
			'App says the user (userName gone@example.com) is already deactivated',
		);
		expect(outcomes[3].reason).toBe(
			'App has no user with userName "nobody@example.com" (searched userName eq "nobody@example.com")',
		);
		expect(outcomes[0].detail).toEqual({ action: 'deactivated' });
		const state = await server.state();
		record(
			`${kind}: Deactivate by userName — 2 leavers, 1 already inactive, 1 unknown`,
			'removed 2, not_found 2 · one PATCH per leaver, nobody else changed',
			outcomes,
			changes(state, seeded),
		);
		expect(changes(state, seeded)).toEqual({
			'leaver1@example.com': ['PATCH'],
			'leaver2@example.com': ['PATCH'],
		});
		expect(
			state.users
				.filter((u) => !u.active)
				.map((u) => u.userName)
				.sort(),
		).toEqual(['gone@example.com', 'leaver1@example.com', 'leaver2@example.com']);
		expect(state.users).toHaveLength(USERS.length);
	});

	it('Delete by userName: deleted once; run again, not found', async () => {
		const first = await run(server.baseUrl, { action: 'delete', findBy: 'userName' }, [
			'leaver3@example.com',
		]);
		expect(brief(first)).toEqual([['leaver3@example.com', 'removed', 'removed']]);
		expect(first[0].detail).toEqual({ action: 'deleted' });
		const again = await run(server.baseUrl, { action: 'delete', findBy: 'userName' }, [
			'leaver3@example.com',
		]);
		expect(brief(again)).toEqual([['leaver3@example.com', 'not_found', 'not_there']]);
		const state = await server.state();
		expect(changes(state, seeded)).toEqual({ 'leaver3@example.com': ['DELETE'] });
		expect(userOf(state, 'leaver3@example.com')).toBeUndefined();
		expect(state.users).toHaveLength(USERS.length - 1);
	});

	it('Deactivate by SCIM id: read, then PATCH; an unknown id is not found', async () => {
		const id = userOf(seeded, 'leaver1@example.com')?.id ?? '';
		const system = scimSystem({ action: 'deactivate', findBy: 'id' });
		const offboarding = await offboard(
			() => [
				{ kind: 'person', row: 1, fields: { scimUserId: id } },
				{ kind: 'person', row: 2, fields: { scimUserId: 'no-such-id-000' } },
			],
			{
				plan: { systems: [{ system, baseUrl: server.baseUrl, scopes: {} }] },
				systems: {
					scim: {
						system,
						baseUrl: server.baseUrl,
						transport: createFetchTransport({ authenticate: bearer(TOKEN) }),
						secrets: () => [TOKEN],
						credentialKey: 'by-id',
						limits: DEFAULT_LIMITS,
						retry: DEFAULT_RETRY,
					},
				},
				limiters: new LimiterRegistry(realClock),
			},
		);
		const out: PairOutcome[] = [];
		for await (const o of offboarding) out.push(o);
		out.sort((a, b) => a.row - b.row);
		expect(out.map((o) => [o.userId, o.status, o.attempts])).toEqual([
			[id, 'removed', 2],
			['no-such-id-000', 'not_found', 1],
		]);
		expect(changes(await server.state(), seeded)).toEqual({ 'leaver1@example.com': ['PATCH'] });
	});

	it('a wrong token fails every pair with the reason, changes nothing', async () => {
		const system = scimSystem({ action: 'delete', findBy: 'userName' });
		const offboarding = await offboard(() => rows(['leaver1@example.com']), {
			plan: { systems: [{ system, baseUrl: server.baseUrl, scopes: {} }] },
			systems: {
				scim: {
					system,
					baseUrl: server.baseUrl,
					transport: createFetchTransport({ authenticate: bearer('wrong-token') }),
					secrets: () => ['wrong-token'],
					credentialKey: 'wrong',
					limits: DEFAULT_LIMITS,
					retry: DEFAULT_RETRY,
				},
			},
			limiters: new LimiterRegistry(realClock),
		});
		const out: PairOutcome[] = [];
		for await (const o of offboarding) out.push(o);
		expect(out.map((o) => [o.status, o.kind, o.httpStatus])).toEqual([
			['failed', 'unauthorized', 401],
		]);
		expect(changes(await server.state(), seeded)).toEqual({});
	});
});

describe('SCIM find by email (scimmy: emails.value filter)', () => {
	let server: ScimServer;
	let seeded: ScimState;
	beforeAll(async () => {
		server = await startScimServer('scimmy', { token: TOKEN, users: [...USERS, ...TWINS] });
		seeded = await server.state();
	});
	afterAll(async () => {
		await server?.stop();
	});

	it('two accounts with one email: failed as ambiguous, neither touched; a unique one deactivated', async () => {
		const outcomes = await run(server.baseUrl, { action: 'deactivate', findBy: 'email' }, [
			'twin@example.com',
			'leaver2@example.com',
		]);
		expect(brief(outcomes)).toEqual([
			['twin@example.com', 'failed', 'rejected'],
			['leaver2@example.com', 'removed', 'removed'],
		]);
		record(
			'scimmy: find by email, two accounts share one email',
			'failed 1 (ambiguous), removed 1 · neither twin changed',
			outcomes,
			changes(await server.state(), seeded),
		);
		expect(outcomes[0].reason).toBe(
			'App has 2 users with email "twin@example.com": ambiguous, nothing was changed; give the SCIM id instead',
		);
		expect(changes(await server.state(), seeded)).toEqual({ 'leaver2@example.com': ['PATCH'] });
	});
});

describe('SCIM through a fault proxy (scimmy behind it)', () => {
	let server: ScimServer;
	let proxy: FaultProxy;
	let seeded: ScimState;
	async function start(plan: FaultRule[]): Promise<void> {
		server = await startScimServer('scimmy', { token: TOKEN, users: USERS });
		seeded = await server.state();
		proxy = await startFaultProxy(server.baseUrl, plan);
	}
	afterEach(async () => {
		await proxy?.stop();
		await server?.stop();
	});

	it('429 + Retry-After on the lookup and 503 on the change: waited, retried, done once', async () => {
		await start([
			{ method: 'GET', fault: { kind: 'status', status: 429, retryAfter: '1' }, times: 1 },
			{ method: 'PATCH', fault: { kind: 'status', status: 503, retryAfter: '1' }, times: 1 },
		]);
		const started = Date.now();
		const outcomes = await run(proxy.url, { action: 'deactivate', findBy: 'userName' }, [
			'leaver1@example.com',
		]);
		expect(brief(outcomes)).toEqual([['leaver1@example.com', 'removed', 'removed']]);
		expect(outcomes[0].attempts).toBe(4);
		record(
			'429 + Retry-After on the lookup, 503 + Retry-After on the PATCH',
			'removed 1 after 4 requests, ≥ 2 s waited · one PATCH',
			outcomes,
			changes(await server.state(), seeded),
		);
		expect(Date.now() - started).toBeGreaterThanOrEqual(2_000);
		expect(proxy.log.map((e) => [e.method, e.fault ?? null, e.status])).toEqual([
			['GET', 'status429', 429],
			['GET', null, 200],
			['PATCH', 'status503', 503],
			['PATCH', null, 200],
		]);
		expect(changes(await server.state(), seeded)).toEqual({ 'leaver1@example.com': ['PATCH'] });
	});

	it('a reset on the lookup is retried (a read: nothing uncertain)', async () => {
		await start([{ method: 'GET', fault: { kind: 'reset' }, times: 1 }]);
		const outcomes = await run(proxy.url, { action: 'delete', findBy: 'userName' }, [
			'leaver2@example.com',
		]);
		expect(brief(outcomes)).toEqual([['leaver2@example.com', 'removed', 'removed']]);
		expect(outcomes[0].confirmedAfterUncertain).toBeUndefined();
		expect(changes(await server.state(), seeded)).toEqual({ 'leaver2@example.com': ['DELETE'] });
	});

	it('DELETE acted but its answer was lost: the retry finds it gone, removed (confirmed after uncertain), deleted once', async () => {
		await start([{ method: 'DELETE', fault: { kind: 'actThenReset' }, times: 1 }]);
		const outcomes = await run(proxy.url, { action: 'delete', findBy: 'userName' }, [
			'leaver3@example.com',
		]);
		expect(brief(outcomes)).toEqual([['leaver3@example.com', 'removed', 'removed']]);
		expect(outcomes[0].confirmedAfterUncertain).toBe(true);
		record(
			'DELETE acted, its answer lost (connection reset)',
			"removed 1 (confirmed by the retry's 404) · one DELETE",
			outcomes,
			changes(await server.state(), seeded),
		);
		expect(proxy.log.map((e) => [e.method, e.fault ?? null, e.status])).toEqual([
			['GET', null, 200],
			['DELETE', 'actThenReset', 204],
			['DELETE', null, 404],
		]);
		expect(changes(await server.state(), seeded)).toEqual({ 'leaver3@example.com': ['DELETE'] });
	});

	it('PATCH acted but its answer was lost: the retry is answered 204 (nothing left to change), deactivated once', async () => {
		await start([{ method: 'PATCH', fault: { kind: 'actThenReset' }, times: 1 }]);
		const outcomes = await run(proxy.url, { action: 'deactivate', findBy: 'userName' }, [
			'leaver1@example.com',
		]);
		expect(brief(outcomes)).toEqual([['leaver1@example.com', 'removed', 'removed']]);
		expect(proxy.log.map((e) => [e.method, e.fault ?? null, e.status])).toEqual([
			['GET', null, 200],
			['PATCH', 'actThenReset', 200],
			['PATCH', null, 204],
		]);
		expect(changes(await server.state(), seeded)).toEqual({ 'leaver1@example.com': ['PATCH'] });
	});
});
