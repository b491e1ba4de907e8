/**
 * The HTML pages as n8n binary data, through WorkflowExecute: `reportHtml` beside the CSV report
 * and `receiptHtml` on each receipt item, from Offboard Users (against the sandbox) and from the
 * Offboarding Report node (fed outcome items as the per-system nodes write them).
 */
import type { IBinaryData, IDataObject, INodeExecutionData } from 'n8n-workflow';
import { OffboardingReport } from '../../nodes/OffboardingReport/OffboardingReport.node';
import { OffboardUsers } from '../../nodes/OffboardUsers/OffboardUsers.node';
import { jsonDigest } from '../../src/canonicalJson';
import { processLimiters } from '../../src/engine/limiter';
import { demoPerson, type Sandbox, startSandbox } from '../../sandbox';
import { initBinaryData, runNode } from '../support/n8n';
import { CREDENTIAL_TYPES, offboardParameters, sandboxCredentials } from '../support/n8nSandbox';

let binaryData: Awaited<ReturnType<typeof initBinaryData>>;
beforeAll(async () => {
	binaryData = await initBinaryData();
});

async function textOf(binary: IBinaryData | undefined): Promise<string> {
	expect(binary).toBeDefined();
	return (await binaryData.getAsBuffer(binary as IBinaryData)).toString('utf8');
}

/** An outcome item as a per-system node writes it. */
function outcomeItem(row: number, status: 'removed' | 'failed', fields: IDataObject = {}) {
	return {
		json: {
			row,
			email: `person${row}@example.com`,
			system: 'flashback',
			systemName: 'Flashback',
			scope: { workspaceId: 'ws_demo' },
			userId: `fb_${row}`,
			status,
			httpStatus: status === 'failed' ? 403 : 204,
			attempts: 1,
			durationMs: 12,
			reason: status === 'failed' ? 'Flashback refused (403): check the token.' : 'Removed.',
			...fields,
		} as IDataObject,
	};
}

async function report(items: INodeExecutionData[], parameters: Record<string, unknown>) {
	const { outputs, run } = await runNode({
		nodeType: new OffboardingReport(),
		credentialTypes: {},
		credentials: {},
		items,
		parameters: parameters as never,
	});
	expect(run.data.resultData.error).toBeUndefined();
	return outputs[0];
}

describe('Offboarding Report: the HTML pages', () => {
	const items = [
		outcomeItem(1, 'removed'),
		outcomeItem(2, 'failed', { email: '<script>alert(1)</script>' }),
	];

	it('writes report.html beside the CSV report, with the totals and the failures', async () => {
		const [summary] = await report(items, { output: 'csvReport' });
		expect(Object.keys(summary.binary ?? {})).toEqual(['report', 'reportHtml']);
		expect(summary.binary?.reportHtml).toMatchObject({
			mimeType: 'text/html',
			fileName: 'report.html',
		});
		const html = await textOf(summary.binary?.reportHtml);
		expect(html).toContain(
			'<tr><th scope="row">Flashback</th><td class="n">1</td><td class="n">0</td><td class="n">0</td><td class="n">0</td><td class="n">1</td><td class="n">2</td></tr>',
		);
		expect(html).toContain(
			'<tr><td class="n">2</td><td class="id">&lt;script&gt;alert(1)&lt;/script&gt;</td><td>Flashback</td><td class="id">fb_2</td><td class="reason">Flashback refused (403): check the token.</td></tr>',
		);
		expect(html).toContain('No timeline recorded for this run');
	});

	it('gives the receipt its printable page, whose digest is of the json beside it', async () => {
		const [receipt] = await report(items, {
			output: 'receipt',
			requestId: 'DSR-7',
			receivedAt: '2026-11-02T09:30:00Z',
		});
		expect(Object.keys(receipt.binary ?? {})).toEqual(['receiptHtml']);
		expect(receipt.binary?.receiptHtml).toMatchObject({
			mimeType: 'text/html',
			fileName: 'gdpr-receipt-DSR-7.html',
		});
		const html = await textOf(receipt.binary?.receiptHtml);
		expect(html).toContain(`<code class="digest">${jsonDigest(receipt.json)}</code>`);
		expect(html).toContain('<code>DSR-7</code>');
	});
});

describe('Offboard Users: the HTML pages', () => {
	let sandbox: Sandbox;
	beforeEach(async () => {
		processLimiters.clear();
		sandbox = await startSandbox();
	});
	afterEach(async () => {
		await sandbox.close();
	});

	async function offboard(parameters: Record<string, unknown>) {
		const person = demoPerson(1);
		sandbox.addPerson(person);
		const { outputs, run } = await runNode({
			nodeType: new OffboardUsers(),
			credentialTypes: CREDENTIAL_TYPES,
			credentials: sandboxCredentials(sandbox),
			items: [{ json: { ...person, requestId: 'REQ-1' } as IDataObject }],
			parameters: offboardParameters(parameters) as never,
		});
		expect(run.data.resultData.error).toBeUndefined();
		return outputs[0];
	}

	it('writes report.html beside the CSV report in the summary output', async () => {
		const [summary] = await offboard({ outputMode: 'summary' });
		expect(Object.keys(summary.binary ?? {})).toEqual(['report', 'reportHtml']);
		expect(summary.binary?.reportHtml).toMatchObject({ fileName: 'report.html' });
		const html = await textOf(summary.binary?.reportHtml);
		expect(html).toContain('<h1>Offboarding run report</h1>');
		expect(html).toContain('<tr><th scope="row">Limits kept in</th><td>memory</td></tr>');
		expect(html).toContain('<h2>Failures</h2><p>No pair failed.</p>');
		// The engine's own record, one chart per system, each with its answered second(s).
		expect(html).not.toContain('No timeline recorded');
		expect(html.match(/<figure>/g)).toHaveLength(5);
		expect(html.match(/<circle class="pt"/g)?.length).toBeGreaterThanOrEqual(5);
	});

	it('gives each receipt item its printable page', async () => {
		const [receipt] = await offboard({
			outputMode: 'receipt',
			requestId: '={{ $json.requestId }}',
		});
		expect(receipt.json.requestId).toBe('REQ-1');
		expect(receipt.binary?.receiptHtml).toMatchObject({ fileName: 'gdpr-receipt-REQ-1.html' });
		const html = await textOf(receipt.binary?.receiptHtml);
		expect(html).toContain(`<code class="digest">${jsonDigest(receipt.json)}</code>`);
	});
});
