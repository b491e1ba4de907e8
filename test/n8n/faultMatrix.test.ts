/**
 * One representative case per fault class through the Offboard Users node (n8n-core's
 * WorkflowExecute) against the Flashback emulator, judged by its ground truth: one outcome per pair,
 * nothing failed when the fault is transient and the budget suffices, no request for a user after
 * a clean confirmation of its removal, and every request beyond one per user explained by a fault
 * or a 429 (plus at most one confirming request after an answer that was lost).
 */
import type { INodeExecutionData } from 'n8n-workflow';
import { OffboardUsers } from '../../nodes/OffboardUsers/OffboardUsers.node';
import { processLimiters } from '../../src/engine/limiter';
import {
	demoPerson,
	type EmulatorConfig,
	type RecordedRequest,
	type Sandbox,
	startSandbox,
} from '../../sandbox';
import { MOVED_PATH } from '../../sandbox/emulator';
import { runNode } from '../support/n8n';
import { counted, recordReliability } from '../support/reliability';
import { CREDENTIAL_TYPES, offboardParameters, sandboxCredentials } from '../support/n8nSandbox';

jest.setTimeout(60_000);

let sandbox: Sandbox;
beforeEach(async () => {
	processLimiters.clear();
	sandbox = await startSandbox();
});
afterEach(async () => {
	await sandbox.close();
});

const PEOPLE = Array.from({ length: 12 }, (_, i) => demoPerson(i + 1));

type Case = [name: string, config: Partial<EmulatorConfig>];

const limited = (
	headers: NonNullable<EmulatorConfig['rateLimit']>['headers'],
): Partial<EmulatorConfig> => ({
	rateLimit: { rate: 10, burst: 2, headers },
});
const faults = (rates: EmulatorConfig['faults']['rates']): Partial<EmulatorConfig> => ({
	faults: { script: [], rates },
	seed: 11,
});

const CASES: Case[] = [
	['429 with Retry-After seconds', limited('retry-after-seconds')],
	['429 with Retry-After HTTP-date', limited('retry-after-date')],
	['429 with Retry-After in the past', faults({ retryAfterPast: 0.3 })],
	['draft-10 RateLimit headers only', limited('draft10')],
	['legacy RateLimit-* only', limited('legacy')],
	['X-RateLimit-Reset as epoch', limited('x-ratelimit-epoch')],
	['X-RateLimit-Reset as delta', limited('x-ratelimit-delta')],
	['bare 429, no headers', limited('none')],
	['concurrency cap answered 429', { concurrencyCap: { limit: 1, status: 429 } }],
	['concurrency cap answered 503', { concurrencyCap: { limit: 1, status: 503 } }],
	['500/502/503 bursts', faults({ status500: 0.15, status502: 0.15, status503: 0.15 })],
	['connection resets', faults({ reset: 0.3 })],
	['hangs (1 s request timeout)', faults({ hang: 0.15 })],
	["a proxy's HTML 502", faults({ html502: 0.3 })],
	['malformed 200 (acted)', faults({ malformed200: 0.3 })],
	['act, then 500', faults({ actThenFail: 0.3 })],
	['latency spikes up to 400 ms', { latencyMs: { min: 0, max: 400 } }],
];

function userOf(request: RecordedRequest): string {
	return decodeURIComponent(request.rawUrl.split('/').pop() ?? '');
}

async function offboardFlashback(): Promise<INodeExecutionData[]> {
	const { outputs } = await runNode({
		nodeType: new OffboardUsers(),
		credentialTypes: CREDENTIAL_TYPES,
		credentials: sandboxCredentials(sandbox),
		items: PEOPLE.map((p) => ({ json: { ...p } })),
		parameters: offboardParameters({
			systems: ['flashback'],
			options: {
				systemLimits: {
					limit: [
						{
							system: 'flashback',
							maxConcurrency: 4,
							ratePerSecond: 40,
							maxAttempts: 8,
							maxRetryAfterSeconds: 60,
							requestTimeoutSeconds: 1,
						},
					],
				},
			},
		}) as never,
	});
	return outputs[0];
}

describe('Fault matrix through the Offboard Users node (Flashback emulator, 12 users)', () => {
	it.each(CASES)('%s: every user removed once, nothing failed', async (name, config) => {
		for (const person of PEOPLE) sandbox.addPerson(person);
		sandbox.flashback.configure(config);
		const items = await offboardFlashback();

		// One outcome per pair, all removed (a lost answer confirmed by a later "not there" counts).
		expect(items).toHaveLength(PEOPLE.length);
		expect(items.map((i) => i.json.status)).toEqual(PEOPLE.map(() => 'removed'));
		expect(items.map((i) => i.json.userId).sort()).toEqual(
			PEOPLE.map((p) => p.flashbackUserId).sort(),
		);
		for (const person of PEOPLE)
			expect(sandbox.isDemoMember('flashback', person.flashbackUserId)).toBe(false);

		const requests = sandbox.flashback.removalRequests();
		// Each user's removal took effect exactly once.
		expect(requests.filter((r) => r.acted).length).toBe(PEOPLE.length);
		// Nothing is sent for a user after a clean confirmation (200, no fault) of its removal.
		const confirmedAt = new Map<string, number>();
		const afterConfirmation: string[] = [];
		for (const request of requests) {
			const user = userOf(request);
			if (confirmedAt.has(user)) afterConfirmation.push(user);
			if (request.status === 200 && !request.fault) confirmedAt.set(user, request.seq);
		}
		expect(afterConfirmation).toEqual([]);
		// Requests beyond one per user: each explained by a fault or a 429/503 it answered, plus at
		// most one confirming request per answer that was lost after acting.
		const disturbed = requests.filter(
			(r) =>
				r.fault !== undefined || r.rateLimited === true || r.status === 429 || r.status === 503,
		).length;
		const lostAfterActing = requests.filter(
			(r) => r.fault === 'malformed200' || r.fault === 'actThenFail',
		).length;
		const bound = PEOPLE.length + disturbed + lostAfterActing;
		const statuses = items.map((i) => String(i.json.status));
		recordReliability({
			table: 'Fault matrix',
			case: name,
			expected: `removed 12 · 12 acting DELETEs · none after a confirmation · requests ≤ 12 + disturbed + lost`,
			observed: `${counted(statuses)} · ${requests.filter((r) => r.acted).length} acting · ${afterConfirmation.length} after a confirmation · ${requests.length} requests (bound ${bound}: ${disturbed} disturbed, ${lostAfterActing} lost) · unmatched ${sandbox.flashback.unmatchedRequests().length}`,
		});
		expect(requests.length).toBeLessThanOrEqual(bound);
		expect(sandbox.flashback.unmatchedRequests()).toEqual([]);
	});

	it('a quota (429 with Retry-After: 86400) fails the rest fast, naming when it ends', async () => {
		for (const person of PEOPLE) sandbox.addPerson(person);
		// The first request (the credential probe, alone in flight) meets the quota.
		sandbox.flashback.configure({ faults: { script: ['retryAfterHuge'], rates: {} } });
		const items = await offboardFlashback();
		const statuses = items.map((i) => String(i.json.status));
		const sent = sandbox.flashback.removalRequests().length;
		const failedReasons = items
			.filter((i) => i.json.status === 'failed')
			.map((i) => String(i.json.reason));
		recordReliability({
			table: 'Fault matrix',
			case: '429 with Retry-After: 86400 (a quota) on the first request',
			expected: 'failed 12 "rate-limited until <tomorrow>" · 1 request',
			observed: `${counted(statuses)} · ${sent} requests · "${failedReasons[0]?.slice(0, 90)}"`,
		});
		expect(counted(statuses)).toBe('failed 12');
		expect(sent).toBe(1);
		for (const reason of failedReasons) expect(reason).toMatch(/rate-limited until 20\d\d-/);
		expect(PEOPLE.filter((p) => sandbox.isDemoMember('flashback', p.flashbackUserId))).toHaveLength(
			12,
		);
	});

	it('a 3xx redirect to a 200 page is not followed: that pair fails, never retried, the rest removed', async () => {
		for (const person of PEOPLE) sandbox.addPerson(person);
		sandbox.flashback.configure({ faults: { script: ['redirect'], rates: {} } });
		const items = await offboardFlashback();
		const failed = items.filter((i) => i.json.status === 'failed');
		expect(failed).toHaveLength(1);
		expect(failed[0].json).toMatchObject({ httpStatus: 302, attempts: 1 });
		expect(items.filter((i) => i.json.status === 'removed')).toHaveLength(PEOPLE.length - 1);
		const redirected = String(failed[0].json.userId);
		expect(sandbox.isDemoMember('flashback', redirected)).toBe(true);
		expect(String(failed[0].json.reason)).toMatch(/redirect/i);
		// The page answers 200 (had it been followed, it would look like success) ...
		const page = await fetch(`${sandbox.flashback.origin}${MOVED_PATH}`, { method: 'DELETE' });
		expect(page.status).toBe(200);
		// ... and was never followed (the one request to it is ours, just now), nor the removal retried.
		expect(sandbox.flashback.requests.filter((r) => r.rawUrl === MOVED_PATH)).toHaveLength(1);
		expect(
			sandbox.flashback.removalRequests().filter((r) => userOf(r) === redirected),
		).toHaveLength(1);
	});
});
