/**
 * The frame both HTML files share: escaping, and a page whose Content-Security-Policy allows
 * nothing but its own one `<style>` element (by hash) and `data:` images, so the page itself proves
 * it needs no script, font, image or request from anywhere.
 */
import { createHash } from 'node:crypto';

const ENTITIES: Readonly<Record<string, string>> = {
	'&': '&amp;',
	'<': '&lt;',
	'>': '&gt;',
	'"': '&quot;',
	"'": '&#39;',
};

/** Text for an element's content or a quoted attribute value: no markup survives it. */
export function escapeHtml(value: string | number): string {
	return String(value).replace(/[&<>"']/g, (c) => ENTITIES[c]);
}

/** `'sha256-…'` of a style element's exact text, as CSP compares it. */
export function styleHash(css: string): string {
	return `'sha256-${createHash('sha256').update(css, 'utf8').digest('base64')}'`;
}

/**
 * A whole document. `css` is the page's only style (style attributes would be refused by the
 * policy, so markup carries classes and SVG presentation attributes instead); `body` is trusted
 * markup the caller built from escaped values.
 */
export function htmlPage(page: { title: string; css: string; body: string }): string {
	const policy = `default-src 'none'; style-src ${styleHash(page.css)}; img-src data:`;
	return [
		'<!DOCTYPE html>',
		'<html lang="en">',
		'<head>',
		'<meta charset="utf-8">',
		`<meta http-equiv="Content-Security-Policy" content="${escapeHtml(policy)}">`,
		'<meta name="viewport" content="width=device-width, initial-scale=1">',
		`<title>${escapeHtml(page.title)}</title>`,
		`<style>${page.css}</style>`,
		'</head>',
		'<body>',
		page.body,
		'</body>',
		'</html>',
		'',
	].join('\n');
}

/** A date as people read it (UTC, to the second) inside a machine-readable `<time>`. */
export function timeHtml(iso: string): string {
	const date = new Date(iso);
	const text = Number.isNaN(date.getTime())
		? iso
		: `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
	return `<time datetime="${escapeHtml(iso)}">${escapeHtml(text)}</time>`;
}

/** 12,345: counts as people read them. */
export function count(n: number): string {
	return n.toLocaleString('en-US');
}
