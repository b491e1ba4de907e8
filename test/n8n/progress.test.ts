/**
 * Progress lines (issue 17): their exact text for a known progress, and when they are logged — a
 * real run on the virtual clock through a fake logger: ticks, the pause line, one final line, and
 * nothing after it or after a cancel.
 */
import { LimiterRegistry } from '../../src/engine/limiter';
import { offboard, type Offboarding } from '../../src/engine/offboard';
import type { RunProgress, SystemProgress } from '../../src/engine/timeline';
import { formatDuration, logProgress, progressLine } from '../../src/n8n/progress';
import { runtimeFor } from '../support/engine';
import { FakeSystem, FLASHBACK_OK } from '../support/fakeSystem';
import { person, systemPlan } from '../support/plan';
import { VIRTUAL_EPOCH, VirtualClock } from '../support/virtualClock';

const START = Date.UTC(2026, 10, 30, 9, 0, 0);

function system(fields: Partial<SystemProgress> & Pick<SystemProgress, 'name'>): SystemProgress {
	return {
		system: fields.name.toLowerCase(),
		total: 0,
		done: 0,
		removed: 0,
		notFound: 0,
		failed: 0,
		skipped: 0,
		wouldRemove: 0,
		...fields,
	};
}

function at(elapsedMs: number, systems: SystemProgress[]): RunProgress {
	return { startedAt: START, elapsedMs, systems };
}

describe('a progress line', () => {
	it('names the execution, then per system done / total, outcomes, rate, concurrency and ETA', () => {
		const progress = at(10_000, [
			system({
				name: 'Flashback',
				total: 300,
				done: 120,
				removed: 118,
				notFound: 1,
				failed: 1,
				ratePerSecond: 19.634,
				concurrency: 4,
			}),
			system({
				name: 'Mudbase',
				total: 100,
				done: 100,
				removed: 100,
				ratePerSecond: 5,
				concurrency: 2,
			}),
		]);
		expect(progressLine('42', progress, 'tick')).toBe(
			'Offboarding progress, execution 42, 10 s: Flashback 120/300 (118 removed, 1 not found, 1 failed), 19.6/s, concurrency 4, ETA 9 s; Mudbase 100/100 (100 removed)',
		);
	});

	it('shows a pause with its reason and end, and counts the pause into the ETA', () => {
		const progress = at(65_000, [
			system({
				name: 'Flashback',
				total: 20,
				done: 4,
				removed: 4,
				ratePerSecond: 1,
				concurrency: 1,
				pause: { until: START + 68_000, reason: '429 with Retry-After 3 s' },
			}),
		]);
		expect(progressLine('7', progress, 'pause')).toBe(
			'Offboarding progress, execution 7, 1 min 5 s: Flashback 4/20 (4 removed), paused until 09:01:08 UTC (429 with Retry-After 3 s), 1/s, concurrency 1, ETA 19 s',
		);
	});

	it('shows an open circuit with its reason and no ETA', () => {
		const progress = at(3_000, [
			system({
				name: 'Ejento',
				total: 10,
				done: 3,
				failed: 3,
				ratePerSecond: 5,
				concurrency: 4,
				circuit: { reason: 'Ejento refused the credential' },
			}),
			system({ name: 'Slack', total: 2, done: 0 }),
		]);
		expect(progressLine('9', progress, 'circuit')).toBe(
			'Offboarding progress, execution 9, 3 s: Ejento 3/10 (3 failed), circuit open (Ejento refused the credential), 5/s, concurrency 4; Slack 0/2',
		);
	});

	it('ends with one line that says done and how long it took, or that it stopped', () => {
		const progress = at(42_400, [
			system({ name: 'Flashback', total: 3, done: 3, removed: 2, skipped: 1, ratePerSecond: 2 }),
		]);
		expect(progressLine('42', progress, 'done')).toBe(
			'Offboarding done, execution 42, in 42 s: Flashback 3/3 (2 removed, 1 skipped)',
		);
		expect(progressLine('42', progress, 'stopped')).toBe(
			'Offboarding stopped, execution 42, after 42 s: Flashback 3/3 (2 removed, 1 skipped)',
		);
	});

	it.each([
		[0, '0 s'],
		[59_499, '59 s'],
		[60_000, '1 min'],
		[125_000, '2 min 5 s'],
		[3_600_000, '1 h'],
		[8_040_000, '2 h 14 min'],
	])('formats %i ms as "%s"', (ms, text) => {
		expect(formatDuration(ms)).toBe(text);
	});
});

describe('progress lines of a run', () => {
	let clock: VirtualClock;
	let limiters: LimiterRegistry;
	beforeEach(() => {
		clock = new VirtualClock();
		limiters = new LimiterRegistry(clock);
	});

	async function flashbackRun(n: number, signal?: AbortSignal): Promise<Offboarding> {
		// One removal a second; the third request is answered 429 with Retry-After: 4.
		const flashback = new FakeSystem(
			clock,
			(_, index) => (index === 2 ? { status: 429, headers: { 'retry-after': '4' } } : FLASHBACK_OK),
			100,
		);
		return await offboard(
			() =>
				Array.from({ length: n }, (_, i) =>
					person(i + 1, { email: `p${i + 1}@x.io`, flashbackUserId: `fb${i + 1}` }),
				),
			{
				plan: { systems: [systemPlan('flashback')] },
				systems: {
					flashback: runtimeFor('flashback', flashback.transport, {
						limits: {
							ratePerSecond: 1,
							maxRatePerSecond: 1,
							burst: 1,
							concurrency: 1,
							maxConcurrency: 1,
						},
					}),
				},
				limiters,
				clock,
				...(signal ? { signal } : {}),
			},
		);
	}

	async function drain(run: Offboarding): Promise<void> {
		for await (const outcome of run) void outcome;
	}

	it('logs every 5 s of clock time, at the pause, and once at the end; nothing after', async () => {
		const run = await flashbackRun(12);
		const lines: string[] = [];
		logProgress(run, { info: (line) => lines.push(line) }, '42', undefined, 5_000);
		await clock.run(drain(run));
		expect(clock.now() - VIRTUAL_EPOCH).toBe(27_160);
		// The pause line at 2.1 s, then every 5 s, then the final line; the pause counts in the ETA.
		expect(lines).toEqual([
			'Offboarding progress, execution 42, 2 s: Flashback 2/12 (2 removed), paused until 12:00:06 UTC (429 with Retry-After 4 s), 0.47/s, concurrency 1, ETA 25 s',
			'Offboarding progress, execution 42, 5 s: Flashback 2/12 (2 removed), paused until 12:00:06 UTC (429 with Retry-After 4 s), 0.47/s, concurrency 1, ETA 22 s',
			'Offboarding progress, execution 42, 10 s: Flashback 3/12 (3 removed), 0.47/s, concurrency 1, ETA 19 s',
			'Offboarding progress, execution 42, 15 s: Flashback 6/12 (6 removed), 0.47/s, concurrency 1, ETA 13 s',
			'Offboarding progress, execution 42, 20 s: Flashback 8/12 (8 removed), 0.47/s, concurrency 1, ETA 8 s',
			'Offboarding progress, execution 42, 25 s: Flashback 10/12 (10 removed), 0.47/s, concurrency 1, ETA 4 s',
			'Offboarding done, execution 42, in 27 s: Flashback 12/12 (12 removed)',
		]);
		await clock.run(clock.sleep(60_000));
		expect(lines).toHaveLength(7);
	});

	it('stops at a cancel: no line after it, not even the final one', async () => {
		const cancel = new AbortController();
		const run = await flashbackRun(12, cancel.signal);
		const lines: string[] = [];
		logProgress(run, { info: (line) => lines.push(line) }, '42', cancel.signal, 5_000);
		const work = drain(run);
		work.catch(() => undefined);
		await clock.run(clock.sleep(6_500));
		cancel.abort();
		await expect(clock.run(work)).rejects.toThrow();
		const before = lines.length;
		await clock.run(clock.sleep(60_000));
		expect(lines).toHaveLength(before);
		expect(lines).toEqual([
			'Offboarding progress, execution 42, 2 s: Flashback 2/12 (2 removed), paused until 12:00:06 UTC (429 with Retry-After 4 s), 0.47/s, concurrency 1, ETA 25 s',
			'Offboarding progress, execution 42, 5 s: Flashback 2/12 (2 removed), paused until 12:00:06 UTC (429 with Retry-After 4 s), 0.47/s, concurrency 1, ETA 22 s',
		]);
	});
});
