/** The HTML run report: escaping, the policy, the capped failures, the charts' points. */
import { createHash } from 'node:crypto';
import { chartDomain, niceCeil, secondsLabel, timelineSvg } from '../../src/html/chart';
import { escapeHtml } from '../../src/html/page';
import { FAILURE_ROWS_SHOWN, renderReportHtml, systemOfKey } from '../../src/html/report';
import { nightlyOutcomes, outcome, reportInput } from '../support/htmlReports';
import { minuteOfRun, runTimeline, simulateSystem } from '../support/timelines';

/** Every tag name the page opens or closes. */
function tagNames(html: string): Set<string> {
	return new Set([...html.matchAll(/<\/?([a-zA-Z][\w-]*)/g)].map((m) => m[1].toLowerCase()));
}

/** The report's markup: nothing here runs, loads or links anywhere but the CSV. */
const PAGE_TAGS = (
	'a body caption circle desc figcaption figure g h1 h2 h3 head header html li line main meta p ' +
	'path rect section span style svg table tbody td text tfoot th thead time title tr ul'
).split(' ');

/** Rows of the failures table's body. */
function failureRows(html: string): number {
	const table = /<table class="failures">[\s\S]*?<tbody>([\s\S]*?)<\/tbody>/.exec(html);
	return table ? (table[1].match(/<tr>/g) ?? []).length : 0;
}

describe('escapeHtml', () => {
	it('turns every markup character into its entity', () => {
		expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe(
			'&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;',
		);
	});
});

describe('renderReportHtml', () => {
	const hostile = reportInput(
		[
			outcome(7, 'flashback', 'failed', {
				email: '<script>alert("x")</script>',
				userId: '=HYPERLINK("http://evil.example","click")',
				reason: `A & B: 'quoted' "double" </td><script>`,
			}),
			outcome(8, 'scim', 'removed'),
		],
		{
			warnings: ['<b onmouseover="alert(1)">bold</b>'],
			totals: {
				flashback: { removed: 0, not_found: 0, would_remove: 0, skipped: 0, failed: 1 },
				'scim:<img src=x onerror=alert(1)>': {
					removed: 1,
					not_found: 0,
					would_remove: 0,
					skipped: 0,
					failed: 0,
				},
			},
		},
	);

	it('shows hostile values as text, character for character', () => {
		const html = renderReportHtml(hostile);
		expect(html).toContain(
			'<tr><td class="n">7</td><td class="id">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</td><td>Flashback</td><td class="id">=HYPERLINK(&quot;http://evil.example&quot;,&quot;click&quot;)</td><td class="reason">A &amp; B: &#39;quoted&#39; &quot;double&quot; &lt;/td&gt;&lt;script&gt;</td></tr>',
		);
		expect(html).toContain('<h3>&lt;img src=x onerror=alert(1)&gt;</h3>');
		expect(html).toContain(
			'<li class="warn">&lt;b onmouseover=&quot;alert(1)&quot;&gt;bold&lt;/b&gt;</li>',
		);
	});

	it('holds nothing that runs, loads or styles from outside its one style element', () => {
		const html = renderReportHtml({ ...hostile, timeline: minuteOfRun() });
		expect([...tagNames(html)].sort()).toEqual(PAGE_TAGS);
		// No event handler, style or source attribute in any tag (text may say anything, escaped).
		expect(html).not.toMatch(/<[^>]*\s(on\w+|style|src)\s*=/i);
		expect([...html.matchAll(/\shref="([^"]*)"/g)].map((m) => m[1])).toEqual([
			'offboarding-report.csv',
			'offboarding-report.csv',
		]);
	});

	it("allows by its policy nothing but its own style element, by that element's hash", () => {
		const html = renderReportHtml(hostile);
		const styles = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => m[1]);
		expect(styles).toHaveLength(1);
		const hash = createHash('sha256').update(styles[0]).digest('base64');
		expect(html).toContain(
			`<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;; style-src &#39;sha256-${hash}&#39;; img-src data:">`,
		);
	});

	it('writes the totals as a table: a row per system, a column per status, a total row', () => {
		const html = renderReportHtml(reportInput(nightlyOutcomes(30, 10)));
		expect(html).toContain(
			'<thead><tr><th scope="col">System</th><th scope="col" class="n">Removed</th><th scope="col" class="n">Not found</th><th scope="col" class="n">Would remove</th><th scope="col" class="n">Skipped</th><th scope="col" class="n">Failed</th><th scope="col" class="n">Total</th></tr></thead>',
		);
		expect(html).toContain(
			'<tr><th scope="row">Slack</th><td class="n">27</td><td class="n">0</td><td class="n">0</td><td class="n">0</td><td class="n">3</td><td class="n">30</td></tr>',
		);
		expect(html).toContain(
			'<tfoot><tr><th scope="row">All systems</th><td class="n">81</td><td class="n">0</td><td class="n">0</td><td class="n">0</td><td class="n">9</td><td class="n">90</td></tr></tfoot>',
		);
	});

	it('shows at most 200 failures and sends the reader to the CSV for the rest', () => {
		// 3 systems × 1,000 rows, every 10th failed: 300 failures.
		const html = renderReportHtml(reportInput(nightlyOutcomes(1000, 10)));
		expect(FAILURE_ROWS_SHOWN).toBe(200);
		expect(failureRows(html)).toBe(200);
		expect(html).toContain('<h2>Failures (300)</h2>');
		expect(html).toContain('<caption>Failed pairs: the first 200 of 300</caption>');
		expect(html).toContain(
			'<p class="more">100 more failures not shown: see the CSV report (offboarding-report.csv).</p>',
		);
	});

	it('shows every failure when there are 200 or fewer, with no "more" line', () => {
		const html = renderReportHtml(reportInput(nightlyOutcomes(100, 2))); // 150 failures
		expect(failureRows(html)).toBe(150);
		expect(html).toContain('<caption>Failed pairs</caption>');
		expect(html).not.toContain('class="more"');
	});

	it('says so when no pair failed', () => {
		const html = renderReportHtml(reportInput([outcome(1, 'flashback', 'removed')]));
		expect(html).toContain('<h2>Failures</h2><p>No pair failed.</p>');
	});

	it('draws one point per recorded second, at that second', () => {
		const timeline = minuteOfRun();
		const html = renderReportHtml(reportInput(nightlyOutcomes(10, 5), {}, timeline));
		const charts = html.split('<svg').slice(1);
		expect(charts).toHaveLength(3);
		const pointsOf = (svg: string): number[] =>
			[...svg.matchAll(/<circle class="pt" data-t="(\d+)"/g)].map((m) => Number(m[1]));
		// In the report's system order: Flashback, Mudbase, Slack.
		expect(charts.map((svg) => pointsOf(svg).length)).toEqual([57, 47, 50]);
		const recorded = (name: string): number[] =>
			timeline.systems.find((s) => s.name === name)?.seconds.map((x) => x.t) ?? [];
		expect(charts.map(pointsOf)).toEqual(['Flashback', 'Mudbase', 'Slack'].map(recorded));
	});

	it("counts a system's requests, 429s and pauses from its timeline", () => {
		const html = renderReportHtml(reportInput(nightlyOutcomes(10, 5), {}, minuteOfRun()));
		const flashback = html.slice(
			html.indexOf('<h3>Flashback</h3>'),
			html.indexOf('<h3>Slack</h3>'),
		);
		// Sent: 2 + 4 + 8, then 16 (12 accepted, 4 × 429), a 3 s pause, 8 + 9 + 10, then 11 × 50.
		expect(flashback).toContain('<tr><th scope="row">Requests</th><td class="n">607</td></tr>');
		expect(flashback).toContain('<tr><th scope="row">Answers 429</th><td class="n">4</td></tr>');
		expect(flashback).toContain('<tr><th scope="row">Pauses</th><td class="n">1 (3 s)</td></tr>');
		const mudbase = html.slice(html.indexOf('<h3>Mudbase</h3>'));
		expect(mudbase).toContain('<tr><th scope="row">Circuit opened</th><td class="n">1</td></tr>');
	});

	it('takes requests and 429s from the run counters when there is no timeline', () => {
		const html = renderReportHtml(
			reportInput([outcome(1, 'flashback', 'removed')], {
				stats: { flashback: { requests: 12, rateLimited: 3, transportErrors: 1 } },
			}),
		);
		expect(html).toContain(
			'<tr><th scope="row">Requests</th><td class="n">12</td></tr><tr><th scope="row">Answers 429</th><td class="n">3</td></tr>',
		);
		expect(html).toContain('No timeline recorded for this run');
		expect(html).not.toContain('<svg');
	});

	it('marks a dry run in its heading', () => {
		const html = renderReportHtml(
			reportInput([outcome(1, 'flashback', 'would_remove')], { dryRun: true }),
		);
		expect(html).toContain('<h1>Offboarding run report (dry run)</h1>');
		expect(html).toContain('<tr><th scope="row">Mode</th><td>Dry run: nothing was sent</td></tr>');
	});
});

describe('systemOfKey', () => {
	it('reads a seed system by id and a named app from "id:name"', () => {
		expect(systemOfKey('flashback')).toEqual({ system: 'flashback', name: 'Flashback' });
		expect(systemOfKey('scim:Slack: EU')).toEqual({ system: 'scim', name: 'Slack: EU' });
	});
});

describe('timelineSvg', () => {
	const flashback = simulateSystem({
		system: 'flashback',
		name: 'Flashback',
		capacity: 12,
		durationS: 60,
	});

	it('draws the 429s as bars, the pause as a span with its reason, the rate as one path', () => {
		const svg = timelineSvg(flashback, 60, 'c');
		expect(svg.match(/<rect class="r429"/g)).toHaveLength(1);
		expect(svg).toContain('<title>Paused 3.5–6.5 s: 429 with Retry-After: 3</title>');
		expect(svg.match(/<path class="rate"/g)).toHaveLength(1);
		expect(svg).toContain(
			'<desc id="c-desc">57 seconds recorded, peak 12 accepted per second, 4 answers 429, 0 answers 503 (overload), 1 pause (3 s), 0 open circuits, learned rate at the end 11 per second</desc>',
		);
	});

	it("escapes the app's name and a span's reason", () => {
		const svg = timelineSvg(
			{
				...flashback,
				name: '<script>x</script>',
				spans: [{ kind: 'circuit', from: 1, to: 2, reason: '"><script>y</script>' }],
			},
			60,
			'h',
		);
		expect(svg).toContain(
			'<title id="h-title">&lt;script&gt;x&lt;/script&gt;: requests per second over the run</title>',
		);
		expect(svg).toContain(
			'<title>Circuit open 1–2 s: &quot;&gt;&lt;script&gt;y&lt;/script&gt;</title>',
		);
		expect(svg).not.toContain('<script');
	});

	it('spans the run, or further when the record goes on past it', () => {
		expect(chartDomain(flashback, 60)).toBe(60);
		expect(chartDomain(flashback, 10)).toBe(60);
		expect(chartDomain({ ...flashback, seconds: [], spans: [] }, 0)).toBe(1);
	});

	it('draws a record with no seconds as an empty chart', () => {
		const empty = runTimeline(5, [{ ...flashback, seconds: [], spans: [] }]).systems[0];
		const svg = timelineSvg(empty, 5, 'e');
		expect(svg).not.toContain('class="pt"');
		expect(svg).not.toContain('class="rate"');
	});

	it('rounds the rate axis up to 1, 2 or 5 × 10^k', () => {
		expect([0, 1, 3, 12, 20, 21, 99, 501].map(niceCeil)).toEqual([1, 1, 5, 20, 20, 50, 100, 1000]);
	});

	it('labels time in seconds for a short run and as a clock for a long one', () => {
		expect(secondsLabel(45, false)).toBe('45 s');
		expect(secondsLabel(750, true)).toBe('12:30');
		expect(secondsLabel(3723, true)).toBe('1:02:03');
	});
});
