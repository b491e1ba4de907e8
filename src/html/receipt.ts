/**
 * The GDPR receipt as one printable page (DESIGN §9): the request's dates, each system's status
 * with its reasons, the subject's HMAC (never the email: the receipt does not hold it), the
 * statement, and the SHA-256 of the receipt's canonical JSON, so a printed copy can be checked
 * against the JSON the workflow kept or answered with. No script, nothing fetched (`page.ts`).
 */
import { canonicalJson, jsonDigest } from '../canonicalJson';
import type { GdprReceipt, SystemReceipt } from '../receipt';
import { count, escapeHtml, htmlPage, timeHtml } from './page';

export interface ReceiptHtmlOptions {
	/** The page's heading and title; "GDPR erasure receipt" unless given. */
	title?: string;
}

/**
 * The receipt as its item carries it: the GDPR receipt, and the run's warnings beside it. The
 * digest covers exactly this object, so it matches the item's JSON whatever its key order.
 */
export type ReceiptJson = GdprReceipt & { warnings?: readonly string[] };

const CSS = `
:root{color-scheme:light;--ink:#1f2328;--muted:#59636e;--line:#d1d9e0;--ok:#1a7f37;--bad:#cf222e}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);max-width:48rem;margin:2rem auto;padding:0 1rem;-webkit-print-color-adjust:exact;print-color-adjust:exact}
h1{font-size:1.5rem;margin:0 0 .75rem}h2{font-size:1.1rem;margin:1.25rem 0 .4rem;border-bottom:1px solid var(--line)}
table{border-collapse:collapse;margin:.4rem 0 .8rem;width:100%}
caption{text-align:left;font-weight:600;padding:.2rem 0;color:var(--muted)}
th,td{border:1px solid var(--line);padding:.25rem .5rem;text-align:left;vertical-align:top}
thead th{background:#f6f8fa}tbody th{width:12rem;font-weight:600}
td ul{margin:0;padding-left:1.1rem}
code{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;word-break:break-all}
.complete{color:var(--ok);font-weight:700}.incomplete{color:var(--bad);font-weight:700}
.statement{border-left:4px solid var(--line);padding:.4rem .8rem;background:#f6f8fa}
.muted{color:var(--muted);font-size:.9rem}
@page{size:A4;margin:14mm}
@media print{body{margin:0;max-width:none;font-size:9.5pt}table,.statement{break-inside:avoid}}
`.trim();

function notes(system: SystemReceipt): string {
	const groups: Array<[string, string[]]> = [
		['Failed', system.failures],
		['Skipped', system.skipped],
		['Unconfirmed', system.unconfirmed],
	];
	const items = groups.flatMap(([label, reasons]) =>
		reasons.map((reason) => `<li>${label}: ${escapeHtml(reason)}</li>`),
	);
	return items.length > 0 ? `<ul>${items.join('')}</ul>` : '';
}

function countsText(system: SystemReceipt): string {
	const parts: Array<[number, string]> = [
		[system.counts.removed, 'removed'],
		[system.counts.not_found, 'not found'],
		[system.counts.would_remove, 'would remove'],
		[system.counts.skipped, 'skipped'],
		[system.counts.failed, 'failed'],
	];
	return parts
		.filter(([n]) => n > 0)
		.map(([n, label]) => `${count(n)} ${label}`)
		.join(', ');
}

export function renderReceiptHtml(receipt: ReceiptJson, options: ReceiptHtmlOptions = {}): string {
	const title = options.title ?? 'GDPR erasure receipt';
	const facts: Array<[string, string]> = [
		['Request id', `<code>${escapeHtml(receipt.requestId)}</code>`],
		['Received', timeHtml(receipt.receivedAt)],
		['Due by', `${timeHtml(receipt.dueBy)} <span class="muted">(one month, Art. 12(3))</span>`],
		[
			'Due by, if extended',
			`${timeHtml(receipt.extendedDueBy)} <span class="muted">(two further months, Art. 12(3))</span>`,
		],
		['Completed', timeHtml(receipt.completedAt)],
		[
			'Subject',
			receipt.subjectHmac
				? `HMAC-SHA-256 of the email under the installation key: <code>${escapeHtml(receipt.subjectHmac)}</code>`
				: '<span class="muted">No subject identifier (no installation key was given)</span>',
		],
		[
			'Complete',
			receipt.complete
				? '<span class="complete">Yes: access removed or none found in every system</span>'
				: '<span class="incomplete">No: this receipt must not be sent as confirmation</span>',
		],
	];
	const systems = receipt.systems.map(
		(s) =>
			`<tr><th scope="row">${escapeHtml(s.name)}</th><td>${escapeHtml(s.status)}</td><td>${countsText(s)}</td><td>${notes(s)}</td></tr>`,
	);
	const warnings =
		receipt.warnings && receipt.warnings.length > 0
			? `<h2>Warnings</h2><ul>${receipt.warnings.map((w) => `<li>${escapeHtml(w)}</li>`).join('')}</ul>`
			: '';
	const canonicalBytes = Buffer.byteLength(canonicalJson(receipt), 'utf8');
	const body = [
		`<h1>${escapeHtml(title)}</h1>`,
		`<table class="facts"><caption>The request</caption><tbody>${facts.map(([label, value]) => `<tr><th scope="row">${label}</th><td>${value}</td></tr>`).join('')}</tbody></table>`,
		'<table class="systems"><caption>Per system</caption><thead><tr><th scope="col">System</th><th scope="col">Status</th><th scope="col">Pairs</th><th scope="col">Reasons</th></tr></thead>',
		`<tbody>${systems.join('')}</tbody></table>`,
		'<h2>Statement</h2>',
		`<p class="statement">${escapeHtml(receipt.statement)}</p>`,
		warnings,
		'<h2>Digest</h2>',
		`<p>SHA-256 of this receipt's JSON in canonical form (keys sorted at every depth, no whitespace, UTF-8; ${count(canonicalBytes)} bytes):</p>`,
		`<p><code class="digest">${jsonDigest(receipt)}</code></p>`,
		'<p class="muted">To check a copy: sort the keys of the JSON the workflow kept, write it without whitespace (RFC 8785), and compare its SHA-256 with the one above.</p>',
	].join('\n');
	return htmlPage({ title: `${title} ${receipt.requestId}`, css: CSS, body });
}
