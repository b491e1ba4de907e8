/**
 * How big the HTML run report is, and how long it takes to build, for a 100,000-row run: 100,000
 * outcomes in 5 systems (3,000 failed) counted through `ReportBuilder` and `FailureSample` as the
 * summary output counts them, and a 3,000-second timeline per system. Measured in one process with
 * `performance.now()` around the counting and the rendering (not the fixture's making).
 * Run: `npx ts-node --transpile-only scripts/html-size.ts [page.html]` (with a path, the page is
 * written there to look at); `test/unit/htmlSize.test.ts` runs it too and checks the size stays
 * bounded (never the time: timing belongs to benchmarks).
 */
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { ReportedOutcome } from '../src/engine/outcome';
import { ReportBuilder, registryName } from '../src/engine/report';
import { FailureSample, renderReportHtml } from '../src/html/report';
import { SYSTEMS as REGISTRY } from '../src/systems';
import type { SystemId } from '../src/systems/types';
import { runTimeline, simulateSystem } from '../test/support/timelines';

const SYSTEMS: readonly SystemId[] = ['productAccess', 'ejento', 'flashback', 'mudbase', 'scim'];

export interface HtmlSize {
	outcomes: number;
	failures: number;
	secondsRecorded: number;
	bytes: number;
	/** Counting the outcomes (totals, warnings, failure sample). */
	countMs: number;
	/** Rendering the page from those. */
	renderMs: number;
	failureRowsShown: number;
}

/** Row `i`'s outcome: 3 in every 100 rows of each system failed, so 3,000 of 100,000. */
function outcomeOf(i: number): ReportedOutcome {
	const failed = Math.floor(i / SYSTEMS.length) % 100 < 3;
	return {
		row: Math.floor(i / SYSTEMS.length) + 1,
		email: `person${i}@example.com`,
		system: SYSTEMS[i % SYSTEMS.length],
		scope: {},
		userId: `user-${i}`,
		status: failed ? 'failed' : 'removed',
		httpStatus: failed ? 500 : 204,
		attempts: failed ? 5 : 1,
		durationMs: 35,
		reason: failed
			? 'The server answered 500 five times: feed the CSV report back as input to retry this pair.'
			: 'Removed.',
	};
}

export function measureHtmlReport(
	options: { rows?: number; durationS?: number; writeTo?: string } = {},
): HtmlSize {
	const { rows = 100_000, durationS = 3_000 } = options;
	const outcomes = Array.from({ length: rows }, (_, i) => outcomeOf(i));
	const timeline = runTimeline(
		durationS,
		SYSTEMS.map((system, k) =>
			simulateSystem({
				system,
				name: system === 'scim' ? 'Slack' : REGISTRY[system].displayName,
				capacity: 8 + 4 * k,
				durationS,
				overloadAt: [600 + 100 * k, 1800],
				circuits: [{ from: 2400 + 10 * k, to: 2430 + 10 * k }],
			}),
		),
	);
	const nameOf = (o: ReportedOutcome): string => (o.system === 'scim' ? 'Slack' : registryName(o));

	const started = performance.now();
	const report = new ReportBuilder();
	const failures = new FailureSample();
	for (const o of outcomes) {
		report.add(o, nameOf(o));
		failures.add(o, nameOf(o));
	}
	const counted = performance.now();
	const html = renderReportHtml({
		generatedAt: new Date(),
		dryRun: false,
		limitStore: 'memory',
		requestsToSend: rows,
		totals: report.totals(),
		warnings: report.warnings(),
		failures,
		timeline,
		csvFileName: 'offboarding-report.csv',
	});
	const rendered = performance.now();
	if (options.writeTo) writeFileSync(options.writeTo, html);
	return {
		outcomes: rows,
		failures: failures.total,
		secondsRecorded: timeline.systems.reduce((n, s) => n + s.seconds.length, 0),
		bytes: Buffer.byteLength(html, 'utf8'),
		countMs: Math.round(counted - started),
		renderMs: Math.round(rendered - counted),
		failureRowsShown: failures.rows.length,
	};
}

if (require.main === module) console.log(measureHtmlReport({ writeTo: process.argv[2] }));
