/** `npm run sandbox`: the five emulated systems on their fixed ports, seeded with the demo people. */
import { DEMO_CREDENTIALS, DEMO_PEOPLE, DEMO_SCOPES, portsFromEnv, startSandbox } from './index';
import { LOGIN_PATH } from './systems/mudbase';

async function main(): Promise<void> {
	const sandbox = await startSandbox({ ports: portsFromEnv() });
	for (const person of DEMO_PEOPLE) sandbox.addPerson(person);
	const c = DEMO_CREDENTIALS;
	const s = DEMO_SCOPES;
	const u = sandbox.baseUrls;
	const lines = [
		'Sandbox systems (127.0.0.1 only; sandbox-only credentials):',
		`  productAccess  ${u.productAccess}   Bearer ${c.productAccess.token}   product ${s.productAccess.productId}`,
		`  productBridge  ${u.productBridge}   api_key ${c.productBridge.apiKey} (JSON body)`,
		`  ejento         ${u.ejento}   Bearer ${c.ejento.token} or ${c.ejento.apiKeyHeader}: ${c.ejento.apiKey}   project ${s.ejento.projectId}`,
		`  flashback      ${u.flashback}   Bearer ${c.flashback.token} (account ${c.flashback.accountId})   workspace ${s.flashback.workspaceId}`,
		`  mudbase        ${u.mudbase}   login POST ${LOGIN_PATH} {"email":"${c.mudbase.email}","password":"${c.mudbase.password}"}   project ${s.mudbase.projectId} chat ${s.mudbase.chatId}`,
		`Seeded ${DEMO_PEOPLE.length} people (person1@example.com … person${DEMO_PEOPLE.length}@example.com) in every system.`,
		'Ground truth: GET <url>/__sandbox/state   Faults and limits: POST <url>/__sandbox/config',
		'Ctrl-C stops.',
	];
	console.log(lines.join('\n'));
	const stop = (): void => {
		void sandbox.close().then(() => process.exit(0));
	};
	process.on('SIGINT', stop);
	process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
	console.error(error instanceof Error ? error.message : error);
	process.exit(1);
});
