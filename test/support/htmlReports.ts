/**
 * Inputs for the HTML report and receipt, built the way the nodes build them: outcomes through
 * `ReportBuilder` and `FailureSample`, a receipt through `buildReceipt`.
 */
import type { OutcomeStatus, ReportedOutcome } from '../../src/engine/outcome';
import { ReportBuilder, registryName } from '../../src/engine/report';
import type { RunTimeline } from '../../src/engine/timeline';
import { FailureSample, type ReportHtmlInput } from '../../src/html/report';
import { buildReceipt, type GdprReceipt } from '../../src/receipt';
import type { SystemId } from '../../src/systems/types';

export function outcome(
	row: number,
	system: SystemId,
	status: OutcomeStatus,
	fields: Partial<ReportedOutcome> = {},
): ReportedOutcome {
	return {
		row,
		email: `person${row}@example.com`,
		system,
		scope: {},
		userId: `u-${row}`,
		status,
		httpStatus: status === 'failed' ? 500 : 204,
		attempts: 1,
		durationMs: 40,
		reason:
			status === 'failed'
				? 'The server answered 500 three times: run the report again later to retry this pair.'
				: 'Removed.',
		...fields,
	};
}

/** A SCIM app's outcomes go by the app's name ("Slack"), every other by the registry's. */
const appName = (o: ReportedOutcome): string => (o.system === 'scim' ? 'Slack' : registryName(o));

export function reportInput(
	outcomes: Iterable<ReportedOutcome>,
	extra: Partial<ReportHtmlInput> = {},
	timeline?: RunTimeline,
): ReportHtmlInput {
	const report = new ReportBuilder();
	const failures = new FailureSample();
	for (const o of outcomes) {
		report.add(o, appName(o));
		failures.add(o, appName(o));
	}
	return {
		generatedAt: new Date('2026-11-30T02:01:00.000Z'),
		dryRun: false,
		limitStore: 'memory',
		totals: report.totals(),
		warnings: report.warnings(),
		failures,
		csvFileName: 'offboarding-report.csv',
		...(timeline ? { timeline } : {}),
		...extra,
	};
}

/** A nightly run's outcomes: `perSystem` rows in each of three systems, every `failEvery`th failed. */
export function nightlyOutcomes(perSystem: number, failEvery: number): ReportedOutcome[] {
	const systems: SystemId[] = ['flashback', 'scim', 'mudbase'];
	return systems.flatMap((system) =>
		Array.from({ length: perSystem }, (_, i) =>
			outcome(i + 1, system, i % failEvery === failEvery - 1 ? 'failed' : 'removed'),
		),
	);
}

/** An erasure request answered in three systems: removed, not found, and one failure. */
export function receiptFixture(): GdprReceipt & { warnings: string[] } {
	const outcomes: ReportedOutcome[] = [
		outcome(1, 'flashback', 'removed', { email: 'subject@example.com' }),
		outcome(1, 'ejento', 'not_found', {
			email: 'subject@example.com',
			reason: 'Ejento has no such user in project 7.',
		}),
		outcome(1, 'mudbase', 'failed', {
			email: 'subject@example.com',
			reason: 'Mudbase refused the login (401): check the credential, then run again.',
		}),
	];
	return {
		...buildReceipt({
			requestId: 'DSR-2026-0042',
			receivedAt: new Date('2026-11-02T09:30:00.000Z'),
			completedAt: new Date('2026-11-30T02:01:00.000Z'),
			outcomes,
			email: 'subject@example.com',
			hmacKey: 'installation-key',
		}),
		warnings: [],
	};
}
