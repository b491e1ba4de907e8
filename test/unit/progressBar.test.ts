/** The demo's progress bar reads back exactly what `progressLine` writes. */
import { readProgressLine } from '../../e2e/progressBar';
import type { SystemProgress } from '../../src/engine/timeline';
import { progressLine } from '../../src/n8n/progress';

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

const SYSTEMS = [
	system({
		name: 'Flashback',
		total: 20,
		done: 4,
		removed: 4,
		ratePerSecond: 1,
		concurrency: 1,
		pause: { until: START + 68_000, reason: '429 with Retry-After 3 s' },
	}),
	system({
		name: 'Slack 2',
		total: 10,
		done: 3,
		failed: 3,
		circuit: { reason: 'Slack 2 refused the credential: check the token' },
	}),
	system({ name: 'Mudbase', total: 5, done: 5, removed: 5 }),
];

describe('readProgressLine', () => {
	it('reads done / total summed over the systems, and each pause and open circuit', () => {
		const line = progressLine(
			'42',
			{ startedAt: START, elapsedMs: 65_000, systems: SYSTEMS },
			'tick',
		);
		expect(readProgressLine(`2026-11-30T09:01:05.000Z | info | ${line} {"file":"x"}`)).toEqual({
			event: 'progress',
			executionId: '42',
			elapsed: '1 min 5 s',
			done: 12,
			total: 35,
			holds: [
				'Flashback paused until 09:01:08 UTC (429 with Retry-After 3 s)',
				'Slack 2 circuit open (Slack 2 refused the credential: check the token)',
			],
			line: `${line} {"file":"x"}`,
		});
	});

	it('reads the final line and ignores every other log line', () => {
		const line = progressLine(
			'7',
			{ startedAt: START, elapsedMs: 42_000, systems: SYSTEMS },
			'done',
		);
		expect(readProgressLine(`\u001b[32m${line}\u001b[39m`)).toMatchObject({
			event: 'done',
			executionId: '7',
			elapsed: '42 s',
			done: 12,
			total: 35,
		});
		expect(readProgressLine('Workflow execution started')).toBeUndefined();
	});
});
