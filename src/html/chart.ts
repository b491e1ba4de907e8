/**
 * One system's timeline as an inline SVG chart: requests accepted per second (one point per
 * recorded second, `class="pt"` with `data-t`), 429 and overload-503 answers as bars from the
 * baseline, pauses and open circuits as shaded spans, and the learned rate as a step line.
 *
 * Plain SVG written here, not a chart library, because no library fits the report's constraints
 * (evaluated with `npm view` / `npm pack --dry-run`, 2026-11): Apache ECharts 6.1 renders SVG
 * server-side without a DOM (`ssr: true`), but is 60 MB unpacked (12 MB tarball, + zrender 4 MB)
 * for one line chart in a package n8n installs on every instance, writes `style="…"` attributes a
 * strict CSP refuses, and cannot give each second's point a class a test can count; Vega 6.4,
 * Observable Plot 0.6 and d3-shape 3 are ES modules only (n8n loads packages with `require`), and
 * Plot needs a DOM; Chart.js and uPlot draw on a canvas or the DOM. What the chart needs — two
 * linear scales, rectangles, circles, a path — is ~150 lines with no dependency to keep current.
 */
import type { SystemTimeline, TimelineSecond } from '../engine/timeline';
import { escapeHtml } from './page';

const WIDTH = 720;
const HEIGHT = 220;
const LEFT = 48;
const RIGHT = 24; // room for the last time label, centred on the right edge
const TOP = 12;
const BOTTOM = 30;
const PLOT_W = WIDTH - LEFT - RIGHT;
const PLOT_H = HEIGHT - TOP - BOTTOM;

/** One decimal: enough for a 720-unit chart, and keeps a 3,000-second chart small. */
function num(v: number): string {
	return String(Math.round(v * 10) / 10);
}

/** The smallest 1, 2 or 5 × 10^k at or above `v`: an axis top people can read. */
export function niceCeil(v: number): number {
	if (v <= 1) return 1;
	const power = 10 ** Math.floor(Math.log10(v));
	for (const m of [1, 2, 5, 10]) if (m * power >= v) return m * power;
	return 10 * power;
}

/** Seconds as an axis label: "45 s" in a short run, "12:30" or "1:02:03" in a long one. */
export function secondsLabel(t: number, longRun: boolean): string {
	if (!longRun) return `${t} s`;
	const h = Math.floor(t / 3600);
	const m = Math.floor((t % 3600) / 60);
	const s = String(Math.floor(t % 60)).padStart(2, '0');
	return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** At most about eight ticks on the time axis, at steps a clock reader expects. */
function timeStep(domain: number): number {
	const steps = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400];
	return steps.find((step) => domain / step <= 8) ?? Math.ceil(domain / 8 / 3600) * 3600;
}

/** The seconds the chart spans: the run's duration, or further if the record goes on. */
export function chartDomain(timeline: SystemTimeline, durationS: number): number {
	const lastSecond = timeline.seconds.at(-1);
	const lastSpan = Math.max(0, ...timeline.spans.map((s) => s.to));
	return Math.max(1, Math.ceil(durationS), lastSecond ? lastSecond.t + 1 : 0, Math.ceil(lastSpan));
}

function slowDowns(second: TimelineSecond): number {
	return second.rateLimited + second.overloaded;
}

/** What the chart shows, in words: its `<desc>` and the line under it. */
export function chartSummary(timeline: SystemTimeline): string {
	const { seconds, spans } = timeline;
	const sum = (pick: (s: TimelineSecond) => number): number =>
		seconds.reduce((n, s) => n + pick(s), 0);
	const pauses = spans.filter((s) => s.kind === 'pause');
	const circuits = spans.filter((s) => s.kind === 'circuit');
	const pausedS = pauses.reduce((n, s) => n + (s.to - s.from), 0);
	const peak = Math.max(0, ...seconds.map((s) => s.accepted));
	const last = seconds.at(-1);
	return [
		`${seconds.length} seconds recorded`,
		`peak ${peak} accepted per second`,
		`${sum((s) => s.rateLimited)} answers 429`,
		`${sum((s) => s.overloaded)} answers 503 (overload)`,
		`${pauses.length} ${pauses.length === 1 ? 'pause' : 'pauses'} (${num(pausedS)} s)`,
		`${circuits.length} open ${circuits.length === 1 ? 'circuit' : 'circuits'}`,
		...(last ? [`learned rate at the end ${num(last.rate)} per second`] : []),
	].join(', ');
}

/**
 * The chart of one system's record. `id` makes the `<title>`/`<desc>` ids unique in the page.
 * Every value that reaches the markup is a number or escaped text.
 */
export function timelineSvg(timeline: SystemTimeline, durationS: number, id: string): string {
	const domain = chartDomain(timeline, durationS);
	const yMax = niceCeil(
		Math.max(1, ...timeline.seconds.map((s) => Math.max(s.accepted, slowDowns(s), s.rate))),
	);
	const x = (t: number): number => LEFT + (Math.min(Math.max(t, 0), domain) / domain) * PLOT_W;
	const y = (v: number): number => TOP + PLOT_H - (Math.min(v, yMax) / yMax) * PLOT_H;
	const barW = Math.max(PLOT_W / domain - 1, 1);
	const longRun = domain >= 120;
	const out: string[] = [];

	out.push(
		`<svg class="chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-labelledby="${id}-title ${id}-desc" xmlns="http://www.w3.org/2000/svg">`,
		`<title id="${id}-title">${escapeHtml(`${timeline.name}: requests per second over the run`)}</title>`,
		`<desc id="${id}-desc">${escapeHtml(chartSummary(timeline))}</desc>`,
	);

	// Pauses and open circuits first, so points and lines are drawn over them.
	out.push('<g class="spans">');
	for (const span of timeline.spans) {
		const from = x(span.from);
		const what = span.kind === 'pause' ? 'Paused' : 'Circuit open';
		out.push(
			`<rect class="span ${span.kind}" x="${num(from)}" y="${TOP}" width="${num(Math.max(x(span.to) - from, 1))}" height="${PLOT_H}"><title>${escapeHtml(`${what} ${num(span.from)}–${num(span.to)} s: ${span.reason}`)}</title></rect>`,
		);
	}
	out.push('</g>');

	// Axes: three rate lines (0, half, top) and about eight time ticks.
	out.push('<g class="axis">');
	for (const v of [0, yMax / 2, yMax]) {
		out.push(
			`<line x1="${LEFT}" x2="${LEFT + PLOT_W}" y1="${num(y(v))}" y2="${num(y(v))}"/>`,
			`<text x="${LEFT - 6}" y="${num(y(v) + 4)}" text-anchor="end">${num(v)}/s</text>`,
		);
	}
	const step = timeStep(domain);
	for (let t = 0; t <= domain; t += step) {
		out.push(
			`<line x1="${num(x(t))}" x2="${num(x(t))}" y1="${TOP + PLOT_H}" y2="${TOP + PLOT_H + 4}"/>`,
			`<text x="${num(x(t))}" y="${HEIGHT - 8}" text-anchor="middle">${secondsLabel(t, longRun)}</text>`,
		);
	}
	out.push('</g>');

	// 429 and overload-503 answers: bars from the baseline, 503s stacked on the 429s.
	out.push('<g class="slowdowns">');
	for (const s of timeline.seconds) {
		if (s.rateLimited > 0)
			out.push(
				`<rect class="r429" x="${num(x(s.t))}" y="${num(y(s.rateLimited))}" width="${num(barW)}" height="${num(y(0) - y(s.rateLimited))}"/>`,
			);
		if (s.overloaded > 0)
			out.push(
				`<rect class="r503" x="${num(x(s.t))}" y="${num(y(slowDowns(s)))}" width="${num(barW)}" height="${num(y(s.rateLimited) - y(slowDowns(s)))}"/>`,
			);
	}
	out.push('</g>');

	// The learned rate: held from one recorded second to the next (it only changes when recorded).
	if (timeline.seconds.length > 0) {
		const [first, ...rest] = timeline.seconds;
		let d = `M${num(x(first.t))} ${num(y(first.rate))}`;
		for (const s of rest) d += `H${num(x(s.t))}V${num(y(s.rate))}`;
		d += `H${num(x(domain))}`;
		out.push(`<path class="rate" d="${d}"/>`);
	}

	// Accepted per second: exactly one point per recorded second, in the middle of its second.
	out.push('<g class="points">');
	for (const s of timeline.seconds)
		out.push(
			`<circle class="pt" data-t="${s.t}" cx="${num(x(s.t + 0.5))}" cy="${num(y(s.accepted))}" r="2"/>`,
		);
	out.push('</g>');

	out.push('</svg>');
	return out.join('');
}
