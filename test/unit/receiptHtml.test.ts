/** The printable GDPR receipt and the canonical JSON its digest is taken of. */
import { createHash } from 'node:crypto';
import { canonicalJson, jsonDigest } from '../../src/canonicalJson';
import { renderReceiptHtml } from '../../src/html/receipt';
import { receiptFileName } from '../../src/n8n/outputs';
import { receiptFixture } from '../support/htmlReports';

describe('canonicalJson', () => {
	it('sorts keys at every depth and writes no whitespace (known answer)', () => {
		const value = { b: [3, { z: null, a: 'é"\n' }], a: true, c: 1.5, d: undefined };
		expect(canonicalJson(value)).toBe('{"a":true,"b":[3,{"a":"é\\"\\n","z":null}],"c":1.5}');
		// sha256 of those UTF-8 bytes, computed apart (Python: json.dumps(sort_keys=True, separators=(',', ':'), ensure_ascii=False)).
		expect(jsonDigest(value)).toBe(
			'7719212a668270e32766b04df20c35e23951bff3ae2b0525df7de243a437c6ce',
		);
	});

	it("writes RFC 8785's own example exactly as the RFC does (§3.2.3)", () => {
		const input = JSON.parse(
			'{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001], "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/", "literals": [null, true, false]}',
		) as unknown;
		expect(canonicalJson(input)).toBe(
			'{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
		);
	});

	it('gives the same text whatever order the keys were written in', () => {
		expect(canonicalJson({ x: { b: 1, a: [{ d: 2, c: 3 }] }, w: 0 })).toBe(
			canonicalJson({ w: 0, x: { a: [{ c: 3, d: 2 }], b: 1 } }),
		);
	});

	it('writes a date as JSON does, and undefined in an array as null', () => {
		expect(canonicalJson([new Date('2026-01-02T03:04:05.000Z'), undefined])).toBe(
			'["2026-01-02T03:04:05.000Z",null]',
		);
	});

	it('refuses a value with no JSON form', () => {
		expect(() => canonicalJson(undefined)).toThrow('undefined has no JSON form');
	});
});

describe('renderReceiptHtml', () => {
	const receipt = receiptFixture();

	it("prints the digest of the receipt's JSON, as computed apart from this code", () => {
		// sha256 of the fixture's JSON with sorted keys, computed with Python from JSON.stringify's output.
		const expected = 'd7f3f014dd876282c59fd223e78a35e94e6c6878a87f0afb3f2b3b38733030d5';
		expect(jsonDigest(receipt)).toBe(expected);
		expect(renderReceiptHtml(receipt)).toContain(`<p><code class="digest">${expected}</code></p>`);
	});

	it("prints the subject's HMAC and never the email", () => {
		const html = renderReceiptHtml(receipt);
		// HMAC-SHA-256("subject@example.com", key "installation-key"), computed with Python's hmac.
		expect(html).toContain(
			'<code>5946fe6c4bab733eb4905eeaef4177835cf4093c376d66948b2398f15574c65f</code>',
		);
		expect(html).not.toContain('subject@example.com');
		expect(html).not.toContain('subject%40example.com');
	});

	it('says when there is no subject identifier', () => {
		const withoutSubject = { ...receipt };
		delete withoutSubject.subjectHmac;
		expect(renderReceiptHtml(withoutSubject)).toContain(
			'No subject identifier (no installation key was given)',
		);
	});

	it('prints the dates, the due date extended, and whether it is complete', () => {
		const html = renderReceiptHtml(receipt);
		expect(html).toContain(
			'<tr><th scope="row">Received</th><td><time datetime="2026-11-02T09:30:00.000Z">2026-11-02 09:30:00 UTC</time></td></tr>',
		);
		expect(html).toContain(
			'<tr><th scope="row">Due by</th><td><time datetime="2026-12-02T09:30:00.000Z">2026-12-02 09:30:00 UTC</time> <span class="muted">(one month, Art. 12(3))</span></td></tr>',
		);
		expect(html).toContain('<time datetime="2027-02-02T09:30:00.000Z">');
		expect(html).toContain(
			'<span class="incomplete">No: this receipt must not be sent as confirmation</span>',
		);
	});

	it('prints each system with its status, counts and reasons', () => {
		const html = renderReceiptHtml(receipt);
		expect(html).toContain(
			'<tr><th scope="row">Flashback</th><td>access removed</td><td>1 removed</td><td></td></tr>',
		);
		expect(html).toContain(
			'<tr><th scope="row">Mudbase</th><td>failed</td><td>1 failed</td><td><ul><li>Failed: Mudbase refused the login (401): check the credential, then run again.</li></ul></td></tr>',
		);
		expect(html).toContain(`<p class="statement">${receipt.statement}</p>`);
	});

	it('shows hostile values as text and holds no script', () => {
		const html = renderReceiptHtml(
			{
				...receipt,
				requestId: '<script>alert(1)</script>',
				statement: `"quoted" & 'single' =SUM(A1)`,
				systems: receipt.systems.map((s) => ({ ...s, name: '<img src=x onerror=alert(1)>' })),
			},
			{ title: 'Receipt <b>' },
		);
		expect(html).toContain('<code>&lt;script&gt;alert(1)&lt;/script&gt;</code>');
		expect(html).toContain(
			'<p class="statement">&quot;quoted&quot; &amp; &#39;single&#39; =SUM(A1)</p>',
		);
		expect(html).toContain('<th scope="row">&lt;img src=x onerror=alert(1)&gt;</th>');
		expect(html).toContain('<h1>Receipt &lt;b&gt;</h1>');
		expect(html).not.toMatch(/<script|<img|<[^>]*\s(on\w+|style)\s*=/i);
	});

	it("allows by its policy nothing but its own style element, by that element's hash", () => {
		const html = renderReceiptHtml(receipt);
		const styles = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => m[1]);
		expect(styles).toHaveLength(1);
		const hash = createHash('sha256').update(styles[0]).digest('base64');
		expect(html).toContain(`style-src &#39;sha256-${hash}&#39;; img-src data:`);
	});
});

describe('receiptFileName', () => {
	it('keeps the request id to characters every file system accepts', () => {
		expect(receiptFileName('DSR-2026-0042')).toBe('gdpr-receipt-DSR-2026-0042.html');
		expect(receiptFileName('../../etc/passwd')).toBe('gdpr-receipt-etc-passwd.html');
		expect(receiptFileName('a b/c')).toBe('gdpr-receipt-a-b-c.html');
		expect(receiptFileName('')).toBe('gdpr-receipt.html');
		expect(receiptFileName('///')).toBe('gdpr-receipt.html');
	});
});
