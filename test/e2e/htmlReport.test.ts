/**
 * The HTML run report and the printable GDPR receipt in headless Chromium (Debian's, driven by
 * playwright-core as the editor test drives it): real headings and tables, as many chart points as
 * the timeline recorded, no request but the page itself, no policy violation, and the policy
 * refusing what a tampered copy would load; screenshots saved as docs/report.png and
 * docs/receipt.png, a PDF print of the receipt on one page.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { CHROMIUM } from '../../e2e/editor';
import { jsonDigest } from '../../src/canonicalJson';
import { renderReceiptHtml } from '../../src/html/receipt';
import { renderReportHtml } from '../../src/html/report';
import { nightlyOutcomes, outcome, receiptFixture, reportInput } from '../support/htmlReports';
import { minuteOfRun } from '../support/timelines';

const DOCS = resolve(__dirname, '../../docs');

let browser: Browser;
let dir: string;
beforeAll(async () => {
	dir = mkdtempSync(join(tmpdir(), 'html-report-'));
	browser = await chromium.launch({
		executablePath: CHROMIUM,
		headless: true,
		args: [
			'--headless',
			'--no-sandbox',
			'--disable-gpu',
			'--disable-background-networking',
			'--disable-component-update',
			'--no-first-run',
		],
	});
}, 60_000);
afterAll(async () => {
	await browser?.close();
	rmSync(dir, { recursive: true, force: true });
});

interface Opened {
	page: Page;
	url: string;
	/** Every request the page made, the document's own included. */
	requests: string[];
	/** Requests that did not complete, with why (a policy refusal is `csp`). */
	failed: string[];
	/** Console messages: a refused style or resource is reported here. */
	messages: string[];
}

/** `html` saved as a file and opened from it, as someone opens a downloaded report. */
async function open(html: string, name: string): Promise<Opened> {
	const file = join(dir, name);
	writeFileSync(file, html);
	const url = pathToFileURL(file).href;
	const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
	const requests: string[] = [];
	const messages: string[] = [];
	const failed: string[] = [];
	page.on('request', (request) => requests.push(request.url()));
	page.on('requestfailed', (request) =>
		failed.push(`${request.url()} ${request.failure()?.errorText ?? ''}`),
	);
	page.on('console', (message) => messages.push(message.text()));
	await page.goto(url, { waitUntil: 'load' });
	return { page, url, requests, failed, messages };
}

/** The text of every `th` of the tables matching `selector`. */
async function headers(page: Page, selector: string): Promise<string[]> {
	return (await page.locator(`${selector} th`).allInnerTexts()).map((t) => t.trim());
}

describe('the HTML run report in Chromium', () => {
	// A nightly run: 3 apps × 300 rows (every 60th failed), Ejento's 5 all not found (a warning).
	const timeline = minuteOfRun();
	const input = reportInput(
		[
			...nightlyOutcomes(300, 60),
			...[1, 2, 3, 4, 5].map((row) => outcome(row, 'ejento', 'not_found')),
		],
		{ requestsToSend: 905, stats: {} },
		timeline,
	);

	it('shows headings, real tables and one chart point per recorded second, fetching nothing', async () => {
		const { page, url, requests, failed, messages } = await open(
			renderReportHtml(input),
			'report.html',
		);
		try {
			expect(await page.title()).toBe('Offboarding run report');
			expect(await page.locator('h1').innerText()).toBe('Offboarding run report');
			expect(await page.locator('h2').allInnerTexts()).toEqual([
				'Totals',
				'Warnings',
				'Systems',
				'Failures (15)',
			]);
			expect(await page.locator('h3').allInnerTexts()).toEqual([
				'Ejento',
				'Flashback',
				'Mudbase',
				'Slack',
			]);
			expect(await headers(page, 'table.totals')).toEqual([
				'System',
				'Removed',
				'Not found',
				'Would remove',
				'Skipped',
				'Failed',
				'Total',
				'Ejento',
				'Flashback',
				'Mudbase',
				'Slack',
				'All systems',
			]);
			expect(await page.locator('table.totals caption').innerText()).toBe('Outcomes per system');
			expect(await headers(page, 'table.failures thead')).toEqual([
				'Row',
				'Email',
				'System',
				'User id',
				'Reason and next step',
			]);
			expect(await page.locator('table.failures tbody tr').count()).toBe(15);

			const seconds = timeline.systems.map((s) => s.seconds.length);
			expect(seconds).toEqual([57, 50, 47]);
			// The charts come in the report's system order: Flashback, Mudbase, Slack.
			const charts = page.locator('svg.chart');
			expect(await charts.count()).toBe(3);
			const points = [];
			for (let i = 0; i < 3; i++) points.push(await charts.nth(i).locator('circle.pt').count());
			expect(points).toEqual([57, 47, 50]);
			expect(await page.locator('svg.chart > title').allTextContents()).toEqual([
				'Flashback: requests per second over the run',
				'Mudbase: requests per second over the run',
				'Slack: requests per second over the run',
			]);
			expect(await page.locator('script').count()).toBe(0);

			expect(requests).toEqual([url]);
			expect(failed).toEqual([]);
			expect(messages).toEqual([]);
			await page.screenshot({ path: join(DOCS, 'report.png'), fullPage: true });
		} finally {
			await page.close();
		}
	});
});

describe("the report's Content-Security-Policy in Chromium", () => {
	it('refuses an image from elsewhere and a style it does not know, had one been slipped in', async () => {
		const html = renderReportHtml(reportInput([outcome(1, 'flashback', 'removed')])).replace(
			'</body>',
			'<img src="http://127.0.0.1:9/tracker.png"><p style="color:red">x</p></body>',
		);
		const { page, url, requests, failed, messages } = await open(html, 'tampered.html');
		try {
			// Chromium reports the image's request, then refuses it before it leaves the browser.
			expect(requests).toEqual([url, 'http://127.0.0.1:9/tracker.png']);
			expect(failed).toEqual(['http://127.0.0.1:9/tracker.png csp']);
			expect(messages).toHaveLength(2);
			expect(messages.every((m) => m.includes('Content Security Policy'))).toBe(true);
		} finally {
			await page.close();
		}
	});
});

describe('the printable GDPR receipt in Chromium', () => {
	const receipt = receiptFixture();

	it('shows its tables and digest, fetching nothing, and prints on one page', async () => {
		const { page, url, requests, failed, messages } = await open(
			renderReceiptHtml(receipt),
			'receipt.html',
		);
		try {
			expect(await page.locator('h1').innerText()).toBe('GDPR erasure receipt');
			expect(await page.locator('h2').allInnerTexts()).toEqual(['Statement', 'Digest']);
			expect(await headers(page, 'table.facts')).toEqual([
				'Request id',
				'Received',
				'Due by',
				'Due by, if extended',
				'Completed',
				'Subject',
				'Complete',
			]);
			expect(await headers(page, 'table.systems')).toEqual([
				'System',
				'Status',
				'Pairs',
				'Reasons',
				'Ejento',
				'Flashback',
				'Mudbase',
			]);
			expect(await page.locator('code.digest').innerText()).toBe(jsonDigest(receipt));
			expect(await page.locator('body').innerText()).not.toContain('subject@example.com');

			expect(requests).toEqual([url]);
			expect(failed).toEqual([]);
			expect(messages).toEqual([]);
			await page.screenshot({ path: join(DOCS, 'receipt.png'), fullPage: true });

			const pdf = await page.pdf({ format: 'A4' });
			expect(pdf.toString('latin1').match(/\/Type\s*\/Page(?!s)/g)).toHaveLength(1);
		} finally {
			await page.close();
		}
	});
});
