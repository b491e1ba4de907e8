/**
 * Real n8n 2.40.7 as a server (`n8n start`): the GDPR erasure webhook answered with its receipt,
 * only for signed requests (Verify Webhook Signature), and the editor in Chromium showing the
 * Offboard Users node's panel.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { openNodePanel } from '../../e2e/editor';
import {
	EXAMPLES,
	exampleCredentials,
	loadExample,
	signedPost,
	WEBHOOK_PATH,
} from '../../e2e/examples';
import type { CredentialRecord } from '../../e2e/n8n';
import { REPO_ROOT } from '../../e2e/runtime';
import { recordReliability } from '../support/reliability';
import type { GdprReceipt } from '../../src/receipt';
import { demoPerson, type DemoPerson, USER_ID_FIELD } from '../../sandbox';
import {
	bearerTokensSeen,
	type E2eFixture,
	filesUnder,
	secretOccurrences,
	startFixture,
	stillMembers,
	SYSTEMS,
} from './fixture';

jest.setTimeout(180_000);

const OWNER = {
	email: 'owner@example.com',
	firstName: 'Test',
	lastName: 'Owner',
	password: 'E2e-owner-pass-1',
};

/** The GDPR example with a typo in its Ejento project id (2: no such project in the emulator). */
const TYPO_ID = 'offboardingGdprEjentoTypo';
const TYPO_PATH = 'gdpr-erasure-typo';
function typoWorkflow() {
	const workflow = loadExample('gdpr');
	const nodes = workflow.nodes.map((node) => {
		if (node.type === 'n8n-nodes-base.webhook')
			return {
				...node,
				webhookId: '0b7e6c1d-2f3a-4c5b-8d9e-a1b2c3d4e5f6',
				parameters: { ...node.parameters, path: TYPO_PATH },
			};
		if (node.type.endsWith('.offboardUsers'))
			return { ...node, parameters: { ...node.parameters, ejentoProjectIdValues: '2' } };
		return node;
	});
	return { ...workflow, id: TYPO_ID, name: `${workflow.name} (Ejento project typo)`, nodes };
}

let fx: E2eFixture;
beforeAll(async () => {
	fx = await startFixture({ logLevel: 'debug' });
	await fx.n8n.importWorkflows([typoWorkflow()]);
	await fx.n8n.publish(EXAMPLES.gdpr.id);
	await fx.n8n.publish(TYPO_ID);
	await fx.n8n.start({ webhooks: [WEBHOOK_PATH, TYPO_PATH] });
	await fx.n8n.setupOwner(OWNER);
}, 600_000);
afterAll(async () => {
	await fx?.close();
});

function idsOf(person: DemoPerson): Record<string, string> {
	const ids: Record<string, string> = { ...person };
	delete ids.email;
	return ids;
}

type ErasureRequest = ReturnType<typeof signedPost>;

/** Sends a request exactly as prepared (headers, body bytes): a replay is the same object sent again. */
async function send(request: ErasureRequest, path = WEBHOOK_PATH) {
	const response = await fetch(`${fx.n8n.baseUrl}/webhook/${path}`, request);
	const text = await response.text();
	return { status: response.status, text };
}

/** An erasure request signed with the example credential's secret. */
async function erasureRequest(body: unknown) {
	return await send(signedPost(fx.signingSecret, body));
}

/** The X-Signature of a request n8n accepted (the replay test's), for the on-disk search's control. */
let acceptedSignature = '';

function removalRequestCount(): number {
	return SYSTEMS.reduce((n, s) => n + fx.sandbox[s].removalRequests().length, 0);
}

describe('GDPR erasure webhook in real n8n', () => {
	it('removes the subject everywhere and answers with the receipt; asked again, no access found', async () => {
		const subject = demoPerson(501);
		fx.sandbox.addPerson(subject);
		const before = Date.now();
		const first = await erasureRequest({
			requestId: 'REQ-501',
			email: subject.email,
			ids: idsOf(subject),
		});
		expect(first.status).toBe(200);
		const receipt = JSON.parse(first.text) as GdprReceipt;
		expect(receipt.requestId).toBe('REQ-501');
		expect(receipt.complete).toBe(true);
		expect(receipt.systems.map((s) => [s.system, s.status])).toEqual(
			SYSTEMS.map((s) => [s, 'access removed']),
		);
		expect(Date.parse(receipt.receivedAt)).toBeGreaterThanOrEqual(before - 1000);
		expect(receipt.statement).toMatch(/^Access removed from Product Access, ProductBridge/);
		for (const system of SYSTEMS)
			expect(fx.sandbox.isDemoMember(system, subject[USER_ID_FIELD[system]])).toBe(false);

		const again = await erasureRequest({
			requestId: 'REQ-501b',
			email: subject.email,
			ids: idsOf(subject),
		});
		expect(again.status).toBe(200);
		const second = JSON.parse(again.text) as GdprReceipt;
		expect(second.systems.map((s) => s.status)).toEqual(SYSTEMS.map(() => 'no access found'));
		expect(second.complete).toBe(true);
	});

	it('answers with the printable receipt page for ?format=html: same status, HTML, no email', async () => {
		const subject = demoPerson(502);
		fx.sandbox.addPerson(subject);
		const request = signedPost(fx.signingSecret, {
			requestId: 'REQ-502',
			email: subject.email,
			ids: idsOf(subject),
		});
		const response = await fetch(`${fx.n8n.baseUrl}/webhook/${WEBHOOK_PATH}?format=html`, request);
		const page = await response.text();
		expect(response.status).toBe(200);
		expect(response.headers.get('content-type')).toMatch(/^text\/html/);
		expect(page).toMatch(/^<!DOCTYPE html>/i);
		expect(page).toContain('REQ-502');
		expect(page).not.toContain(subject.email);
		for (const system of SYSTEMS)
			expect(fx.sandbox.isDemoMember(system, subject[USER_ID_FIELD[system]])).toBe(false);
	});

	it('answers 502 "no access found, unconfirmed" for an Ejento project typo; 200 only where a removal proved the project', async () => {
		// Never a member anywhere: every system answers "not there".
		const nobody = demoPerson(505);
		const body = { requestId: 'REQ-505', email: nobody.email, ids: idsOf(nobody) };
		const typo = await send(signedPost(fx.signingSecret, body), TYPO_PATH);
		expect(typo.status).toBe(502);
		const receipt = JSON.parse(typo.text) as GdprReceipt;
		expect(receipt.complete).toBe(false);
		expect(receipt.systems.map((s) => [s.system, s.status])).toEqual(
			SYSTEMS.map((s) => [s, s === 'ejento' ? 'no access found, unconfirmed' : 'no access found']),
		);
		expect(receipt.systems.find((s) => s.system === 'ejento')?.unconfirmed).toEqual([
			'Ejento answers an unknown project exactly like a user without access (404 Record Not Found); check project 2',
		]);
		expect(receipt.statement).toBe(
			'Not complete: Ejento no access found, unconfirmed (Ejento answers an unknown project exactly like a user without access (404 Record Not Found); check project 2). This receipt must not be sent as confirmation.',
		);
		// Project 151 has evidence (the first test removed someone there): confirmed.
		const right = await erasureRequest({ ...body, requestId: 'REQ-505b' });
		expect(right.status).toBe(200);
		const confirmed = JSON.parse(right.text) as GdprReceipt;
		expect([confirmed.complete, confirmed.systems.map((s) => s.status)]).toEqual([
			true,
			SYSTEMS.map(() => 'no access found'),
		]);
		recordReliability({
			table: 'GDPR receipt',
			case: 'real n8n, signed webhook: a subject without access, Ejento project typo (2), then the right project (151, a removal there earlier)',
			expected:
				'typo: HTTP 502, complete false, Ejento "no access found, unconfirmed" · 151: HTTP 200, complete true',
			observed: `typo: HTTP ${typo.status}, complete ${receipt.complete}, Ejento "${receipt.systems.find((s) => s.system === 'ejento')?.status}" · 151: HTTP ${right.status}, complete ${confirmed.complete}`,
		});
	});

	describe('refuses with 401 and its reason, before any removal', () => {
		const subject = demoPerson(502);
		const body = { requestId: 'REQ-502', email: subject.email, ids: idsOf(subject) };
		let before = 0;
		beforeEach(() => {
			fx.sandbox.addPerson(subject);
			before = removalRequestCount();
		});
		/** One reliability row per refusal: its answer, and the removal requests it caused (0). */
		let answered = '';
		afterEach(() => {
			recordReliability({
				table: 'GDPR receipt',
				case: `real n8n, signed webhook: ${expect.getState().currentTestName?.replace(/^.*before any removal /, '')}`,
				expected:
					'HTTP 401 with its reason · 0 removal requests · the subject still a member everywhere',
				observed: `${answered} · ${removalRequestCount() - before} removal requests · still a member in ${SYSTEMS.filter((system) => fx.sandbox.isDemoMember(system, subject[USER_ID_FIELD[system]])).length} of ${SYSTEMS.length}`,
			});
			expect(removalRequestCount()).toBe(before);
			for (const system of SYSTEMS)
				expect([system, fx.sandbox.isDemoMember(system, subject[USER_ID_FIELD[system]])]).toEqual([
					system,
					true,
				]);
		});

		it('a bad signature (another secret)', async () => {
			const refused = await send(signedPost('not-the-signing-secret-of-this-n8n', body));
			answered = `HTTP ${refused.status} ${refused.text}`;
			expect([refused.status, JSON.parse(refused.text)]).toEqual([
				401,
				{ error: 'signature does not match' },
			]);
		});

		it('a missing signature', async () => {
			const signed = signedPost(fx.signingSecret, body);
			delete signed.headers['X-Signature'];
			const refused = await send(signed);
			answered = `HTTP ${refused.status} ${refused.text}`;
			expect([refused.status, JSON.parse(refused.text)]).toEqual([
				401,
				{ error: 'missing X-Signature header' },
			]);
		});

		it('a timestamp 6 minutes old', async () => {
			const refused = await send(signedPost(fx.signingSecret, body, Date.now() - 6 * 60_000));
			answered = `HTTP ${refused.status} ${refused.text}`;
			expect(refused.status).toBe(401);
			expect(JSON.parse(refused.text)).toEqual({
				error: expect.stringMatching(/^timestamp outside the 5-minute window \(36\d s old\)$/),
			});
		});

		it('a replay of an accepted request (same timestamp, body and signature)', async () => {
			const other = demoPerson(504);
			fx.sandbox.addPerson(other);
			const request = signedPost(fx.signingSecret, {
				requestId: 'REQ-504',
				email: other.email,
				ids: idsOf(other),
			});
			expect((await send(request)).status).toBe(200);
			acceptedSignature = request.headers['X-Signature'];
			expect(fx.sandbox.isDemoMember('flashback', other.flashbackUserId)).toBe(false);
			// The person is back (re-invited): a replayed request must not remove them again.
			fx.sandbox.addPerson(other);
			before = removalRequestCount();
			const replayed = await send(request);
			answered = `HTTP ${replayed.status} ${replayed.text}`;
			expect([replayed.status, JSON.parse(replayed.text)]).toEqual([
				401,
				{ error: 'already used: a replayed request' },
			]);
			expect(stillMembers(fx.sandbox, [other])).toEqual(
				SYSTEMS.map((system) => `${system}:${other[USER_ID_FIELD[system]]}`),
			);
		});
	});

	it('answers 502 with an incomplete receipt when a system fails, naming the failure', async () => {
		const subject = demoPerson(503);
		fx.sandbox.addPerson(subject);
		const result = await erasureRequest({
			requestId: 'REQ-503',
			email: subject.email,
			ids: { ...idsOf(subject), ejentoUserId: '007' },
		});
		expect(result.status).toBe(502);
		const receipt = JSON.parse(result.text) as GdprReceipt;
		expect(receipt.complete).toBe(false);
		const ejento = receipt.systems.find((s) => s.system === 'ejento');
		expect(ejento?.status).toBe('failed');
		expect(ejento?.failures).toEqual([
			'row 1: Ejento user id must be a positive whole number without leading zeros (got "007")',
		]);
		expect(receipt.statement).toBe(
			'Not complete: Ejento failed (see its failures). This receipt must not be sent as confirmation.',
		);
		expect(fx.sandbox.isDemoMember('flashback', subject.flashbackUserId)).toBe(false);
		expect(fx.sandbox.isDemoMember('ejento', subject.ejentoUserId)).toBe(true);
	});
});

describe('Credential Test in real n8n (the editor\'s "Test" button)', () => {
	type TestResult = { data: { status: string; message: string } };
	const test = (credential: CredentialRecord) =>
		fx.n8n.rest<TestResult>('POST', '/rest/credentials/test', { credentials: credential });

	it('accepts each sandbox credential and tells a rejected one apart, without echoing it', async () => {
		const credentials = exampleCredentials(fx.sandbox.baseUrls, fx.signingSecret);
		expect(credentials.map((c) => c.type)).toContain('webhookSigningSecretApi');
		for (const credential of credentials) {
			const ok = await test(credential);
			expect([credential.type, ok.status, ok.body.data.status]).toEqual([
				credential.type,
				200,
				'OK',
			]);
			const secretField =
				credential.type === 'productBridgeApi'
					? 'apiKey'
					: credential.type === 'mudbaseApi'
						? 'password'
						: credential.type === 'webhookSigningSecretApi'
							? 'secret'
							: 'token';
			const bad = await test({
				...credential,
				data: { ...credential.data, [secretField]: 'wrong-secret-value' },
			});
			expect([credential.type, bad.body.data.status]).toEqual([credential.type, 'Error']);
			expect(bad.body.data.message).not.toContain('wrong-secret-value');
		}
	});
});

describe('The editor in Chromium', () => {
	it('shows the Offboard Users panel: systems, options, one credential selector per system', async () => {
		const artifacts = join(REPO_ROOT, 'test-artifacts');
		mkdirSync(artifacts, { recursive: true });
		const panel = await openNodePanel({
			baseUrl: fx.n8n.baseUrl,
			email: OWNER.email,
			password: OWNER.password,
			workflowId: EXAMPLES.nightly.id,
			nodeName: 'Offboard Users',
			screenshot: join(artifacts, 'editor-offboard-users.png'),
		});
		expect(panel.credentials).toEqual([
			{ label: 'Product Access Credential', value: 'Product Access (sandbox)' },
			{ label: 'ProductBridge Credential', value: 'ProductBridge (sandbox)' },
			{ label: 'Ejento Credential', value: 'Ejento (sandbox)' },
			{ label: 'Flashback Credential', value: 'Flashback (sandbox)' },
			{ label: 'Mudbase Credential', value: 'Mudbase (sandbox)' },
		]);
		// Each selector offers its own type only (not every type, as for an "authentication" field).
		expect(panel.firstCredentialOptions).toEqual(['Product Access (sandbox)\nProduct Access API']);
		for (const label of [
			'Systems',
			'Input',
			'Input Binary Field',
			'Email Column',
			'Flashback User ID Column',
			'Product Access Product ID(s)',
			'Flashback Workspace ID(s)',
			'Mudbase Chat ID(s)',
			'Output',
			'Deletion Threshold',
			'Dry Run',
		])
			expect(panel.labels).toContain(label);
		expect(panel.labels.indexOf('Systems')).toBeLessThan(panel.labels.indexOf('Input'));
	});

	it('keeps no copy of an erasure request, and no secret in the execution data, the database files or the log', async () => {
		// The example saves no execution (workflow settings): a request holds the subject's email and
		// ids. n8n 2.40 writes the execution when it starts and soft-deletes it at the end (its pruning
		// erases it later): no execution of the webhook is left that n8n's API or editor would show.
		const live = await fx.n8n.query<{ n: number }>(
			`SELECT COUNT(*) AS n FROM execution_entity WHERE workflowId = '${EXAMPLES.gdpr.id}' AND deletedAt IS NULL`,
		);
		expect(live).toEqual([{ n: 0 }]);
		const all = await fx.n8n.query<{ n: number }>(
			`SELECT COUNT(*) AS n FROM execution_entity WHERE workflowId = '${EXAMPLES.gdpr.id}'`,
		);
		expect(all[0].n).toBeGreaterThanOrEqual(3); // the requests above did run
		const jwts = bearerTokensSeen(fx.sandbox, 'mudbase');
		expect(jwts.length).toBeGreaterThanOrEqual(1);
		expect(fx.secrets).toContain(fx.signingSecret);
		const secrets = [...fx.secrets, ...jwts];
		const data = await fx.n8n.query<{ data: string }>(
			'SELECT d.data FROM execution_data d JOIN execution_entity e ON e.id = d.executionId WHERE e.deletedAt IS NULL',
		);
		expect(data.filter((row) => secrets.some((secret) => row.data.includes(secret)))).toEqual([]);
		// Nor in the bytes on disk: the database, its write-ahead log (where the soft-deleted
		// executions' request headers sat with Header Auth) and every other file of the user folder.
		const database = join(fx.n8n.userFolder, '.n8n', 'database.sqlite');
		const files = filesUnder(fx.n8n.userFolder);
		expect(files).toContain(database);
		expect(secretOccurrences(files, secrets)).toEqual([]);
		// The search reaches where request headers land: the X-Signature of an accepted request (an
		// HMAC, useless without the secret and refused once used) is found in these files, as a Header
		// Auth key was (4 copies in database.sqlite-wal after 4 requests).
		expect(acceptedSignature).toMatch(/^sha256=[0-9a-f]{64}$/);
		expect(secretOccurrences(files, [acceptedSignature])).not.toEqual([]);
		// The debug log saw the requests, and no secret.
		expect(fx.n8n.log()).toContain('Received webhook "POST" for path "gdpr-erasure"');
		expect(secretOccurrences([fx.n8n.logFile], secrets)).toEqual([]);
		expect(fx.n8n.blockedHosts().filter((h) => !h.endsWith('n8n.io'))).toEqual([]);
	});
});
