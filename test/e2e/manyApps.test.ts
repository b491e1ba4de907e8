/**
 * The many-apps example in real n8n 2.40.7 (`n8n execute`): a CSV of emails only removes people
 * from Product Access (which takes emails), two SCIM apps nobody here wrote (scimmy: Slack found by
 * email and deactivated, Zoom found by userName and deleted) and a Custom HTTP system defined in
 * the node, through n8n's own Merge node into one Offboarding Report — judged against each
 * server's own state.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXTRA_EXAMPLES, loadExample } from '../../e2e/examples';
import { parseReport } from '../../e2e/reportTable';
import { DEMO_CREDENTIALS, DEMO_SCOPES } from '../../sandbox';
import {
	changesSince,
	type ScimServer,
	type ScimState,
	startScimServer,
} from '../support/scimServers';
import { type E2eFixture, filesUnder, secretOccurrences, startFixture } from './fixture';

jest.setTimeout(240_000);

const SLACK_TOKEN = 'slack-scim-token-4e21';
const ZOOM_TOKEN = 'zoom-scim-token-90bd';
const [ann, bob, carl, dave] = ['ann', 'bob', 'carl', 'dave'].map((n) => `${n}@example.com`);

let fx: E2eFixture;
let slack: ScimServer;
let zoom: ScimServer;
let slackSeeded: ScimState;
let zoomSeeded: ScimState;
beforeAll(async () => {
	fx = await startFixture();
	slack = await startScimServer('scimmy', {
		token: SLACK_TOKEN,
		users: [ann, bob, 'stays@example.com'].map((email) => ({ userName: email, emails: [email] })),
	});
	zoom = await startScimServer('scimmy', {
		token: ZOOM_TOKEN,
		users: [ann, carl].map((email) => ({ userName: email, emails: [email] })),
	});
	[slackSeeded, zoomSeeded] = await Promise.all([slack.state(), zoom.state()]);
	const pa = fx.sandbox.productAccess;
	for (const email of [ann, bob])
		pa.addMember(DEMO_SCOPES.productAccess.productId, { id: `pa_${email}`, email, name: email });
	for (const email of [bob, carl])
		pa.addMember('prod_wiki', { id: `wiki_${email}`, email, name: email });
	await fx.n8n.importCredentials([
		{
			id: 'demoScimSlack',
			name: 'Slack SCIM (test server)',
			type: 'scimApi',
			data: { baseUrl: slack.baseUrl, token: SLACK_TOKEN, headerName: '', action: 'deactivate' },
		},
		{
			id: 'demoScimZoom',
			name: 'Zoom SCIM (test server)',
			type: 'scimApi',
			data: { baseUrl: zoom.baseUrl, token: ZOOM_TOKEN, headerName: '', action: 'delete' },
		},
		{
			id: 'demoCustomWiki',
			name: 'Wiki (sandbox)',
			type: 'customHttpApi',
			data: {
				baseUrl: fx.sandbox.baseUrls.productAccess,
				authType: 'bearer',
				token: DEMO_CREDENTIALS.productAccess.token,
			},
		},
	]);
	await fx.n8n.importWorkflows([loadExample('manyApps', fx.n8n.filesDir)]);
}, 600_000);
afterAll(async () => {
	await Promise.all([slack?.stop(), zoom?.stop()]);
	await fx?.close();
});

describe('Many apps, one report (real n8n)', () => {
	it('removes each email from the four apps it is in, once, and writes one report counting each app', async () => {
		writeFileSync(
			join(fx.n8n.filesDir, 'leavers-emails.csv'),
			['email', ann, bob, carl, dave, ''].join('\n'),
		);
		const result = await fx.n8n.execute(EXTRA_EXAMPLES.manyApps.id);
		if (result.execution?.status !== 'success')
			throw new Error(
				`execution failed (exit ${result.code}):\n${result.stdout.slice(-3000)}\n${result.stderr.slice(-2000)}`,
			);

		// Ground truth, from each server's own state.
		expect(changesSince(await slack.state(), slackSeeded)).toEqual([
			[ann, 'PATCH'],
			[bob, 'PATCH'],
		]);
		expect((await slack.state()).users.map((u) => [u.userName, u.active])).toEqual([
			[ann, false],
			[bob, false],
			['stays@example.com', true],
		]);
		expect(changesSince(await zoom.state(), zoomSeeded)).toEqual([
			[ann, 'DELETE'],
			[carl, 'DELETE'],
		]);
		expect((await zoom.state()).users).toEqual([]);
		const pa = fx.sandbox.productAccess;
		expect([ann, bob].map((e) => pa.isMember(DEMO_SCOPES.productAccess.productId, e))).toEqual([
			false,
			false,
		]);
		expect([bob, carl].map((e) => pa.isMember('prod_wiki', e))).toEqual([false, false]);

		const report = parseReport(
			readFileSync(join(fx.n8n.filesDir, 'offboarding-report-many-apps.csv'), 'utf8'),
		);
		const seen = report
			.map((r) => [r.system_name, r.userId, r.status])
			.sort((a, b) => `${a[0]}${a[1]}`.localeCompare(`${b[0]}${b[1]}`));
		expect(seen).toEqual([
			['Product Access', ann, 'removed'],
			['Product Access', bob, 'removed'],
			['Product Access', carl, 'not_found'],
			['Product Access', dave, 'not_found'],
			['Slack', ann, 'removed'],
			['Slack', bob, 'removed'],
			['Slack', carl, 'not_found'],
			['Slack', dave, 'not_found'],
			['Wiki', ann, 'not_found'],
			['Wiki', bob, 'removed'],
			['Wiki', carl, 'removed'],
			['Wiki', dave, 'not_found'],
			['Zoom', ann, 'removed'],
			['Zoom', bob, 'not_found'],
			['Zoom', carl, 'removed'],
			['Zoom', dave, 'not_found'],
		]);
		expect(new Set(report.map((r) => r.system))).toEqual(
			new Set(['productAccess', 'scim', 'custom']),
		);
		const [summary] =
			result.execution.data.resultData.runData['Offboarding Report'][0].data?.main[0] ?? [];
		expect(summary.json.totals).toEqual({
			productAccess: { removed: 2, not_found: 2, would_remove: 0, skipped: 0, failed: 0 },
			'scim:Slack': { removed: 2, not_found: 2, would_remove: 0, skipped: 0, failed: 0 },
			'scim:Zoom': { removed: 2, not_found: 2, would_remove: 0, skipped: 0, failed: 0 },
			'custom:Wiki': { removed: 2, not_found: 2, would_remove: 0, skipped: 0, failed: 0 },
		});
		expect(
			secretOccurrences(filesUnder(fx.root), [
				SLACK_TOKEN,
				ZOOM_TOKEN,
				DEMO_CREDENTIALS.productAccess.token,
			]),
		).toEqual([]);
	});
});
