/**
 * What a run records over time (issue 17), on the virtual clock: answers per system and second,
 * the limiter's rate and concurrency, pause and circuit spans with their reasons, done / total, and
 * the progress subscription's ticks and events.
 */
import { LimiterRegistry } from '../../src/engine/limiter';
import { offboard, type Offboarding } from '../../src/engine/offboard';
import type { PairOutcome } from '../../src/engine/outcome';
import { type ProgressEvent, RunRecorder, type SystemProgress } from '../../src/engine/timeline';
import type { SeedSystemId } from '../../src/systems';
import { runtimeFor } from '../support/engine';
import {
	type FakeAnswer,
	FakeSystem,
	FLASHBACK_NOT_THERE,
	FLASHBACK_OK,
} from '../support/fakeSystem';
import { person, systemPlan } from '../support/plan';
import { VIRTUAL_EPOCH, VirtualClock } from '../support/virtualClock';

let clock: VirtualClock;
let limiters: LimiterRegistry;
beforeEach(() => {
	clock = new VirtualClock();
	limiters = new LimiterRegistry(clock);
});

const EJENTO_OK: FakeAnswer = { status: 200, body: { success: true, message: 'ok', data: [] } };
/** Two per second, one at a time, never more: the rate only moves when an answer asks it to. */
const STEADY = {
	ratePerSecond: 2,
	maxRatePerSecond: 2,
	burst: 1,
	concurrency: 1,
	maxConcurrency: 1,
};

function leavers(n: number) {
	return () =>
		Array.from({ length: n }, (_, i) =>
			person(i + 1, {
				email: `p${i + 1}@x.io`,
				flashbackUserId: `fb${i + 1}`,
				ejentoUserId: String(1001 + i),
			}),
		);
}

async function start(
	n: number,
	systems: Partial<Record<SeedSystemId, FakeSystem>>,
	signal?: AbortSignal,
): Promise<Offboarding> {
	const ids = Object.keys(systems) as SeedSystemId[];
	return await offboard(leavers(n), {
		plan: { systems: ids.map((id) => systemPlan(id)) },
		systems: Object.fromEntries(
			ids.map((id) => [
				id,
				runtimeFor(id, (systems[id] as FakeSystem).transport, { limits: STEADY }),
			]),
		),
		limiters,
		clock,
		...(signal ? { signal } : {}),
	});
}

async function drain(run: AsyncIterable<PairOutcome>): Promise<PairOutcome[]> {
	const out: PairOutcome[] = [];
	for await (const outcome of run) out.push(outcome);
	return out;
}

/** The fourth request is answered 429 with Retry-After: 3; every other one is removed. */
function flashbackWithPause(): FakeSystem {
	return new FakeSystem(
		clock,
		(_, index) =>
			index === 3
				? { status: 429, headers: { 'retry-after': '3' }, body: { message: 'Too Many Requests' } }
				: FLASHBACK_OK,
		100,
	);
}

describe('the run timeline', () => {
	it('counts each answer into its second and records the Retry-After pause with its reason', async () => {
		const flashback = flashbackWithPause();
		const run = await start(6, { flashback });
		await clock.run(drain(run));

		const timeline = run.timeline();
		expect(timeline.startedAt).toBe(new Date(VIRTUAL_EPOCH).toISOString());
		expect(timeline.durationS).toBe(7.759);
		const second = (t: number, accepted: number, rateLimited: number, rate: number) => ({
			t,
			accepted,
			rateLimited,
			overloaded: 0,
			transportErrors: 0,
			rate,
			concurrency: 1,
		});
		// Answers at 0.1, 0.6, 1.1 and the 429 at 1.6 s; paused 3 s; then paced at the lowered rate.
		expect(timeline.systems).toEqual([
			{
				system: 'flashback',
				name: 'Flashback',
				total: 6,
				done: 6,
				seconds: [
					second(0, 2, 0, 2),
					second(1, 1, 1, 0.95),
					second(5, 1, 0, 0.95),
					second(6, 1, 0, 0.95),
					second(7, 1, 0, 0.95),
				],
				spans: [{ kind: 'pause', from: 1.6, to: 4.6, reason: '429 with Retry-After 3 s' }],
			},
		]);
		// The same seconds as the system saw its answers go out.
		const answeredIn = flashback.sent.map((s) =>
			Math.floor(((s.answeredAt ?? 0) - VIRTUAL_EPOCH) / 1000),
		);
		expect(answeredIn).toEqual([0, 0, 1, 1, 5, 6, 7]);
	});

	it('keeps only the seconds in which something happened: a long pause adds none', async () => {
		const flashback = new FakeSystem(
			clock,
			(_, index) =>
				index === 1 ? { status: 429, headers: { 'retry-after': '60' } } : FLASHBACK_OK,
			100,
		);
		const run = await start(3, { flashback });
		await clock.run(drain(run));
		const [system] = run.timeline().systems;
		expect(system.seconds.map((second) => second.t)).toEqual([0, 61, 62]);
		expect(system.spans).toEqual([
			{ kind: 'pause', from: 0.6, to: 60.6, reason: '429 with Retry-After 60 s' },
		]);
	});

	it('records an open circuit from the first refusal to the end, with the refusal reason', async () => {
		const flashback = new FakeSystem(
			clock,
			() => ({ status: 403, body: { success: false, message: 'Insufficient permissions' } }),
			100,
		);
		const run = await start(5, { flashback });
		const outcomes = await clock.run(drain(run));
		expect(outcomes.map((outcome) => outcome.status)).toEqual([
			'failed',
			'failed',
			'failed',
			'failed',
			'failed',
		]);
		const forbidden =
			"Flashback answered 403: Insufficient permissions: the credential's account must be ADMIN of the workspace; also check the workspace id";
		// One answer (a 403 is an answer: not a request to slow down); the other four refused at once.
		const [system] = run.timeline().systems;
		expect(system.seconds).toEqual([
			{
				t: 0,
				accepted: 1,
				rateLimited: 0,
				overloaded: 0,
				transportErrors: 0,
				rate: 2,
				concurrency: 1,
			},
		]);
		expect(system.spans).toEqual([{ kind: 'circuit', from: 0.1, to: 0.1, reason: forbidden }]);
		expect(run.progress().systems[0]).toMatchObject({ done: 5, total: 5, failed: 5 });
	});

	it('counts done / total and outcomes per system while the run goes on', async () => {
		const flashback = new FakeSystem(clock, (_, index) =>
			index % 2 === 0 ? FLASHBACK_OK : FLASHBACK_NOT_THERE,
		);
		const ejento = new FakeSystem(clock, () => EJENTO_OK);
		const run = await start(4, { flashback, ejento });
		const seen: string[] = [];
		const counts = ({ name, done, total, removed, notFound }: SystemProgress): string =>
			`${name} ${done}/${total} removed ${removed} not_found ${notFound}`;
		// After each outcome: the system it came from, then every system's counts.
		const work = (async () => {
			for await (const outcome of run)
				seen.push(`${outcome.system}: ${run.progress().systems.map(counts).join(', ')}`);
		})();
		expect(run.progress().systems.map(counts)).toEqual([
			'Flashback 0/4 removed 0 not_found 0',
			'Ejento 0/4 removed 0 not_found 0',
		]);
		await clock.run(work);
		expect(seen).toEqual([
			'flashback: Flashback 1/4 removed 1 not_found 0, Ejento 0/4 removed 0 not_found 0',
			'ejento: Flashback 1/4 removed 1 not_found 0, Ejento 1/4 removed 1 not_found 0',
			'flashback: Flashback 2/4 removed 1 not_found 1, Ejento 1/4 removed 1 not_found 0',
			'ejento: Flashback 2/4 removed 1 not_found 1, Ejento 2/4 removed 2 not_found 0',
			'flashback: Flashback 3/4 removed 2 not_found 1, Ejento 2/4 removed 2 not_found 0',
			'ejento: Flashback 3/4 removed 2 not_found 1, Ejento 3/4 removed 3 not_found 0',
			'flashback: Flashback 4/4 removed 2 not_found 2, Ejento 3/4 removed 3 not_found 0',
			'ejento: Flashback 4/4 removed 2 not_found 2, Ejento 4/4 removed 4 not_found 0',
		]);
	});
});

describe('progress subscription', () => {
	it('calls back every N seconds of clock time, at the pause, and once at the end', async () => {
		const run = await start(6, { flashback: flashbackWithPause() });
		const events: Array<[ProgressEvent, number, number]> = [];
		run.onProgress((progress, event) => {
			events.push([event, progress.elapsedMs, progress.systems[0].done]);
		}, 2_000);
		await clock.run(drain(run));
		expect(events).toEqual([
			['pause', 1_600, 3],
			['tick', 2_000, 3],
			['tick', 4_000, 3],
			['tick', 6_000, 4],
			['done', 7_759, 6],
		]);
		// Nothing is left ticking: later clock time brings no call.
		await clock.run(clock.sleep(10_000));
		expect(events).toHaveLength(5);
	});

	it('samples the rate and concurrency every second while someone listens, keeping changes only', async () => {
		const limiter = {
			effectiveRate: 5,
			effectiveConcurrency: 4,
			pausedUntilMs: 0,
			pauseReason: undefined,
		};
		const recorder = new RunRecorder(clock, [{ system: 'flashback', name: 'Flashback', total: 1 }]);
		recorder.watch('flashback', limiter);
		recorder.onProgress(() => undefined, 60_000);
		const changes = (async () => {
			await clock.sleep(2_500);
			limiter.effectiveRate = 7.5;
			await clock.sleep(2_000);
			limiter.effectiveConcurrency = 2;
			await clock.sleep(3_000);
			recorder.end('done');
		})();
		await clock.run(changes);
		const quiet = { accepted: 0, rateLimited: 0, overloaded: 0, transportErrors: 0 };
		// Sampled at 1, 2, … s: the change at 2.5 s shows in second 3, the one at 4.5 s in second 5.
		expect(recorder.timeline().systems[0].seconds).toEqual([
			{ t: 0, ...quiet, rate: 5, concurrency: 4 },
			{ t: 3, ...quiet, rate: 7.5, concurrency: 4 },
			{ t: 5, ...quiet, rate: 7.5, concurrency: 2 },
		]);
		expect(recorder.timeline().durationS).toBe(7.5);
	});

	it('ends with "stopped" when the run is cancelled, and calls back no more', async () => {
		const cancel = new AbortController();
		const run = await start(6, { flashback: flashbackWithPause() }, cancel.signal);
		const events: ProgressEvent[] = [];
		run.onProgress((_, event) => events.push(event), 1_000);
		const work = drain(run);
		work.catch(() => undefined);
		await clock.run(clock.sleep(2_500));
		cancel.abort();
		await expect(clock.run(work)).rejects.toThrow();
		await clock.run(clock.sleep(10_000));
		expect(events).toEqual(['tick', 'pause', 'tick', 'stopped']);
	});

	it('an unsubscribed listener is not called again', async () => {
		const run = await start(6, { flashback: flashbackWithPause() });
		const events: ProgressEvent[] = [];
		const unsubscribe = run.onProgress((_, event) => {
			events.push(event);
			unsubscribe();
		}, 1_000);
		await clock.run(drain(run));
		expect(events).toEqual(['tick']);
	});
});
