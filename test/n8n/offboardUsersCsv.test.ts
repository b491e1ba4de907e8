/** Offboard Users with a CSV binary input and the summary + CSV report output, through WorkflowExecute. */
import type { IBinaryData, INodeExecutionData } from 'n8n-workflow';
import { OffboardUsers } from '../../nodes/OffboardUsers/OffboardUsers.node';
import { processLimiters } from '../../src/engine/limiter';
import { demoPerson, type Sandbox, startSandbox } from '../../sandbox';
import { initBinaryData, runNode } from '../support/n8n';
import {
	CREDENTIAL_TYPES,
	csvItem,
	offboardParameters,
	sandboxCredentials,
} from '../support/n8nSandbox';
import { recordReliability } from '../support/reliability';
import { leaversCsv } from '../support/sandboxPlan';

let sandbox: Sandbox;
let binaryData: Awaited<ReturnType<typeof initBinaryData>>;
beforeAll(async () => {
	binaryData = await initBinaryData();
});
beforeEach(async () => {
	processLimiters.clear();
	sandbox = await startSandbox();
});
afterEach(async () => {
	await sandbox.close();
});

const people = Array.from({ length: 4 }, (_, i) => demoPerson(i + 1));

async function run(
	items: INodeExecutionData[],
	parameters: Record<string, unknown>,
	settings = {},
) {
	return runNode({
		nodeType: new OffboardUsers(),
		credentialTypes: CREDENTIAL_TYPES,
		credentials: sandboxCredentials(sandbox),
		items,
		parameters: offboardParameters({
			inputSource: 'csv',
			binaryPropertyName: 'data',
			...parameters,
		}) as never,
		settings,
	});
}

describe('Offboard Users with CSV in and a report out', () => {
	it('reads a leavers CSV from a binary property and pairs every result to that item', async () => {
		for (const person of people) sandbox.addPerson(person);
		const { outputs } = await run([csvItem(leaversCsv(people, ';'))], {
			systems: ['flashback', 'ejento'],
		});
		const results = outputs[0].map(
			(i) => [i.json.row, i.json.system, i.json.status, i.pairedItem] as const,
		);
		results.sort((a, b) => Number(a[0]) - Number(b[0]) || String(a[1]).localeCompare(String(b[1])));
		expect(results).toEqual(
			people.flatMap((_, index) => [
				[index + 1, 'ejento', 'removed', { item: 0 }],
				[index + 1, 'flashback', 'removed', { item: 0 }],
			]),
		);
	});

	it('refuses a file that is not valid UTF-8 before any call', async () => {
		for (const person of people) sandbox.addPerson(person);
		const bad = Buffer.concat([
			Buffer.from('email,flashbackUserId\nzo'),
			Buffer.from([0xeb]),
			Buffer.from('@x.io,fb_user_1\n'),
		]);
		const { run: execution } = await run(
			[
				{
					json: {},
					binary: {
						data: { data: bad.toString('base64'), mimeType: 'text/csv', fileName: 'x.csv' },
					},
				},
			],
			{ systems: ['flashback'] },
		);
		expect(execution.data.resultData.error?.message).toBe(
			'The file is not valid UTF-8 (line 2): save it as "CSV UTF-8" and try again. Nothing was removed.',
		);
		expect(sandbox.flashback.removalRequests()).toHaveLength(0);
	});

	it('in summary mode under "continue (using error output)", sends each failed pair to the error output', async () => {
		for (const person of people) sandbox.addPerson(person);
		const { outputs } = await run(
			[csvItem(leaversCsv(people))],
			{
				systems: ['flashback', 'ejento'],
				flashbackWorkspaceIdValues: 'ws_typo',
				outputMode: 'summary',
			},
			{ onError: 'continueErrorOutput' },
		);
		expect(outputs[0]).toHaveLength(1);
		expect(outputs[0][0].json.totals).toMatchObject({
			flashback: { failed: 4 },
			ejento: { removed: 4 },
		});
		const routed = outputs[1].map((i) => [String(i.json.error).slice(0, 48), i.pairedItem]);
		routed.sort((a, b) => String(a[0]).localeCompare(String(b[0])));
		expect(routed).toEqual(
			people.map((p, index) => [
				`Row ${index + 1} (${p.email} / ${p.flashbackUserId}), Flashback ws_typo: `.slice(0, 48),
				{ item: 0 },
			]),
		);
	});

	it('writes a summary and a CSV report, which fed back retries exactly its failed pairs', async () => {
		for (const person of people) sandbox.addPerson(person);
		const first = await run([csvItem(leaversCsv(people))], {
			systems: ['flashback', 'ejento'],
			flashbackWorkspaceIdValues: 'ws_typo',
			outputMode: 'summary',
		});
		const [summary] = first.outputs[0];
		expect(summary.json).toMatchObject({
			dryRun: false,
			requestsToSend: 8,
			totals: {
				flashback: { removed: 0, not_found: 0, would_remove: 0, skipped: 0, failed: 4 },
				ejento: { removed: 4, not_found: 0, would_remove: 0, skipped: 0, failed: 0 },
			},
		});
		const report = summary.binary?.report as IBinaryData;
		expect(report).toMatchObject({ mimeType: 'text/csv', fileName: 'offboarding-report.csv' });
		expect(report.id).toBeDefined(); // stored by BinaryDataService in filesystem mode
		const text = (await binaryData.getAsBuffer(report)).toString('utf8');
		const lines = text.trim().split('\r\n');
		expect(lines[0].startsWith('n8n-offboarding-report,row,email,system,')).toBe(true);
		expect(lines).toHaveLength(1 + 8);

		// The operator corrects the workspace in the failed rows and feeds the report back.
		const failedOnly = [lines[0], ...lines.slice(1).filter((l) => l.includes(',failed,'))]
			.join('\r\n')
			.replaceAll('ws_typo', 'ws_demo');
		const retry = await run([csvItem(failedOnly)], { systems: ['flashback', 'ejento'] });
		const retried = retry.outputs[0].map((i) => [i.json.system, i.json.userId, i.json.status]);
		retried.sort((a, b) => String(a[1]).localeCompare(String(b[1])));
		recordReliability({
			table: 'Crash and resume',
			case: 'a failed-only report (4 Flashback pairs, workspace corrected) fed back as input',
			expected: 'exactly those 4 pairs sent again: removed 4 · Ejento untouched',
			observed: `${retried.length} pairs: ${retried.map((r) => `${String(r[0])} ${String(r[2])}`).join(', ')}`,
		});
		expect(retried).toEqual(people.map((p) => ['flashback', p.flashbackUserId, 'removed']));
		for (const person of people)
			expect(sandbox.flashback.isMember('ws_demo', person.flashbackUserId)).toBe(false);
	});
});
