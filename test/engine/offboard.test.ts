import { LimiterRegistry } from '../../src/engine/limiter';
import { offboard, RunRefusedError } from '../../src/engine/offboard';
import type { PairOutcome } from '../../src/engine/outcome';
import { REDACTED } from '../../src/secrets';
import { countBy, runtimeFor } from '../support/engine';
import { FakeSystem, FLASHBACK_OK } from '../support/fakeSystem';
import { person, systemPlan } from '../support/plan';
import { VirtualClock } from '../support/virtualClock';

let clock: VirtualClock;
let limiters: LimiterRegistry;
beforeEach(() => {
	clock = new VirtualClock();
	limiters = new LimiterRegistry(clock);
});

const PB_OK = { status: 200, body: { success: true } };

function rows(n: number) {
	return () =>
		Array.from({ length: n }, (_, i) =>
			person(i + 1, {
				email: `p${i + 1}@x.io`,
				flashbackUserId: `fb${i + 1}`,
				productBridgeUserId: `00000000-0000-4000-8000-${String(i + 1).padStart(12, '0')}`,
			}),
		);
}

async function collect(iterable: AsyncIterable<PairOutcome>): Promise<PairOutcome[]> {
	const out: PairOutcome[] = [];
	for await (const o of iterable) out.push(o);
	return out;
}

describe('offboard', () => {
	it('refuses a run above the deletion threshold before any call', async () => {
		const flashback = new FakeSystem(clock, () => FLASHBACK_OK);
		const error = await offboard(rows(12), {
			plan: { systems: [systemPlan('flashback')] },
			systems: { flashback: runtimeFor('flashback', flashback.transport) },
			limiters,
			clock,
			deletionThreshold: 10,
		}).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(RunRefusedError);
		expect((error as Error).message).toBe(
			'This run would send 12 removals (12 people, one removal per person, system and scope), above the deletion threshold of 10: nothing was sent. Check the input, then raise the threshold or split the batch.',
		);
		expect(flashback.sent).toHaveLength(0);
	});

	it('counts only pairs that would send: duplicates, missing ids and protected users do not count', async () => {
		const flashback = new FakeSystem(clock, () => FLASHBACK_OK);
		const input = () => [
			...rows(10)(),
			person(11, { email: 'p1@x.io', flashbackUserId: 'fb1' }), // duplicate
			person(12, { email: 'boss@x.io', flashbackUserId: 'fb-boss' }), // protected
			person(13, { email: 'nobody@x.io' }), // no id
		];
		const batch = await offboard(input, {
			plan: { systems: [systemPlan('flashback')], protectedUsers: ['boss@x.io'] },
			systems: { flashback: runtimeFor('flashback', flashback.transport) },
			limiters,
			clock,
			deletionThreshold: 10,
		});
		expect(batch.toSend).toBe(10);
		const outcomes = await clock.run(collect(batch));
		expect(countBy(outcomes, (o) => `${o.status}/${o.kind}`)).toEqual({
			'removed/removed': 10,
			'skipped/duplicate': 1,
			'skipped/protected': 1,
			'skipped/missing_id': 1,
		});
		expect(flashback.sent).toHaveLength(10);
	});

	it('in a dry run sends nothing and reports the exact request, the credential redacted', async () => {
		const flashback = new FakeSystem(clock, () => FLASHBACK_OK);
		const bridge = new FakeSystem(clock, () => PB_OK);
		const batch = await offboard(rows(2), {
			plan: { systems: [systemPlan('flashback'), systemPlan('productBridge')] },
			systems: {
				flashback: runtimeFor('flashback', flashback.transport),
				productBridge: runtimeFor('productBridge', bridge.transport),
			},
			credentialPlacement: {
				flashback: { header: 'authorization' },
				productBridge: { bodyField: 'api_key' },
			},
			limiters,
			clock,
			dryRun: true,
		});
		const outcomes = await clock.run(collect(batch));
		expect(flashback.sent).toHaveLength(0);
		expect(bridge.sent).toHaveLength(0);
		expect(outcomes.map((o) => [o.status, o.kind, o.request])).toEqual([
			[
				'would_remove',
				'dry_run',
				{
					method: 'DELETE',
					url: 'https://flashback.test/workspace/ws1/users/fb1',
					headers: { authorization: REDACTED },
				},
			],
			[
				'would_remove',
				'dry_run',
				{
					method: 'POST',
					url: 'https://productbridge.test/api/external/v1/users/delete',
					headers: {},
					body: { user_id: '00000000-0000-4000-8000-000000000001', api_key: REDACTED },
				},
			],
			[
				'would_remove',
				'dry_run',
				{
					method: 'DELETE',
					url: 'https://flashback.test/workspace/ws1/users/fb2',
					headers: { authorization: REDACTED },
				},
			],
			[
				'would_remove',
				'dry_run',
				{
					method: 'POST',
					url: 'https://productbridge.test/api/external/v1/users/delete',
					headers: {},
					body: { user_id: '00000000-0000-4000-8000-000000000002', api_key: REDACTED },
				},
			],
		]);
		expect(outcomes[0].reason).toBe(
			'would send DELETE https://flashback.test/workspace/ws1/users/fb1',
		);
	});

	it("streams one outcome per pair, the plan's and the engine's together", async () => {
		const flashback = new FakeSystem(clock, () => FLASHBACK_OK, 50);
		const input = () => [
			...rows(30)(),
			person(31, { email: 'bad', flashbackUserId: 'x' }),
			person(32, {}, 'row 32 could not be read'),
		];
		const batch = await offboard(input, {
			plan: { systems: [systemPlan('flashback'), systemPlan('productBridge')] },
			systems: {
				flashback: runtimeFor('flashback', flashback.transport, { limits: { maxConcurrency: 2 } }),
				productBridge: runtimeFor(
					'productBridge',
					new FakeSystem(clock, () => PB_OK, 50).transport,
				),
			},
			limiters,
			clock,
		});
		const outcomes = await clock.run(collect(batch));
		expect(outcomes).toHaveLength(32 * 2);
		expect(new Set(outcomes.map((o) => `${o.row}/${o.system}`)).size).toBe(64);
		expect(countBy(outcomes, (o) => o.status)).toEqual({ removed: 60, failed: 4 });
	});
});
