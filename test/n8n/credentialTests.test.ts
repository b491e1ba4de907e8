/**
 * The credential tests (`testedBy`) in n8n-core's own CredentialTestContext (its legacy `request`
 * helper), against the sandbox: a rejected credential is an error, an accepted one is OK, and
 * nobody is ever removed by a test.
 */
import { CredentialTestContext } from 'n8n-core';
import type { ICredentialDataDecryptedObject } from 'n8n-workflow';
import { credentialTests } from '../../src/n8n/credentialTests';
import { CREDENTIAL_TYPES } from '../../src/n8n/systems';
import { SEED_SYSTEM_IDS, type SeedSystemId } from '../../src/systems';
import { demoPerson, type Sandbox, startSandbox } from '../../sandbox';
import { sandboxCredentials } from '../support/n8nSandbox';
import '../support/n8n'; // sets N8N_USER_FOLDER before n8n-core needs it

let sandbox: Sandbox;
beforeAll(async () => {
	sandbox = await startSandbox();
	sandbox.addPerson(demoPerson(1));
});
afterAll(async () => {
	await sandbox.close();
});

async function test(system: SeedSystemId, override: ICredentialDataDecryptedObject = {}) {
	const data = { ...sandboxCredentials(sandbox)[CREDENTIAL_TYPES[system]], ...override };
	const fn = credentialTests[`${system}CredentialTest`];
	return fn.call(new CredentialTestContext(), {
		id: '1',
		name: 'test',
		type: CREDENTIAL_TYPES[system],
		data,
	});
}

function removals(): number {
	return SEED_SYSTEM_IDS.reduce(
		(n, s) => n + sandbox[s].requests.filter((r) => r.status === 200 && r.acted).length,
		0,
	);
}

describe('credential tests', () => {
	it.each(SEED_SYSTEM_IDS)('%s: accepts the demo credential and removes nobody', async (system) => {
		const result = await test(system);
		expect(result.status).toBe('OK');
		expect(result.message).toMatch(/accepted the credential/);
		expect(removals()).toBe(0);
	});

	it.each([
		[
			'productAccess',
			{ token: 'nope' },
			'Product Access rejected the credential (401: Unauthorized)',
		],
		[
			'productBridge',
			{ apiKey: 'nope' },
			'ProductBridge rejected the credential (401: invalid api_key)',
		],
		[
			'ejento',
			{ token: 'nope' },
			'Ejento rejected the credential (401: Authentication credentials were not provided.)',
		],
		[
			'flashback',
			{ token: 'nope' },
			'Flashback rejected the credential (401: Invalid or missing access token)',
		],
		[
			'mudbase',
			{ password: 'nope' },
			'Login was refused (401): check the email, password and login path',
		],
	] as const)('%s: reports a rejected credential', async (system, override, message) => {
		expect(await test(system, override)).toEqual({ status: 'Error', message });
	});

	it('mudbase: refuses an expired pasted JWT without calling anyone', async () => {
		const expired = await sandbox.mudbase.issueToken('usr_admin', 'admin@sandbox.test', -60);
		const before = sandbox.mudbase.requests.length;
		const result = await test('mudbase', { mode: 'token', token: expired });
		expect(result.status).toBe('Error');
		expect(result.message).toMatch(/^The JWT expired at \d{4}-/);
		expect(sandbox.mudbase.requests.length).toBe(before);
	});
});
