/**
 * `npm start`: the whole product on this machine. The five sandbox systems on their fixed ports,
 * real n8n 2.40.7 with this package installed as a community package, the example workflows and
 * their credentials imported, the nightly batch executed over a sample leavers CSV and its report
 * printed, then the editor left running with a demo login. Ctrl-C stops everything.
 */
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { demoPerson, hrLeaversCsv, portsFromEnv, startSandbox } from '../sandbox';
import {
	EXAMPLES,
	exampleCredentials,
	loadExamples,
	newSigningSecret,
	signedCurl,
	WEBHOOK_PATH,
} from './examples';
import { N8nInstance } from './n8n';
import { ProgressBar } from './progressBar';
import { parseReport, reportTable } from './reportTable';
import { ensureRuntime, packPackage } from './runtime';

/** The demo owner: sandbox-only, printed on purpose so the editor can be opened. */
export const DEMO_OWNER = {
	email: 'owner@example.com',
	firstName: 'Demo',
	lastName: 'Owner',
	password: 'Offboarding-demo-1',
};

const say = (line: string): void => console.log(line);

async function main(): Promise<void> {
	const started = Date.now();
	const elapsed = (): string => `${((Date.now() - started) / 1000).toFixed(1)} s`;
	const root = process.env.DEMO_DIR ?? join(homedir(), '.cache', 'n8n-offboarding-demo');
	const port = Number(process.env.N8N_PORT ?? 5678);

	say('1/6 n8n 2.40.7 on Node 24 (installed once into a cache; about 6 minutes the first time)…');
	const runtime = ensureRuntime();
	say(`    ${runtime.dir}`);

	say('2/6 Building and packing this package…');
	if (existsSync(root)) rmSync(root, { recursive: true, force: true });
	const tarball = packPackage(join(root, 'package'));
	const n8n = new N8nInstance(runtime, { root, filesDir: join(root, 'files') });
	await n8n.installPackage(tarball);
	say(`    ${tarball} → ${n8n.userFolder}/.n8n/nodes`);

	say('3/6 Starting the five sandbox systems…');
	const sandbox = await startSandbox({ ports: portsFromEnv() });
	// Twenty leavers present everywhere; a twenty-first who never had access; one duplicate row.
	const leavers = Array.from({ length: 20 }, (_, i) => demoPerson(i + 1));
	for (const person of leavers) sandbox.addPerson(person);
	const subject = demoPerson(22); // for the webhook example below
	sandbox.addPerson(subject);
	const csvFile = join(n8n.filesDir, 'leavers.csv');
	writeFileSync(csvFile, hrLeaversCsv([...leavers, demoPerson(21), leavers[2]]));
	for (const [id, url] of Object.entries(sandbox.baseUrls)) say(`    ${id.padEnd(14)} ${url}`);

	let stopping = false;
	const stop = async (code: number): Promise<void> => {
		if (stopping) return;
		stopping = true;
		say('\nStopping n8n and the sandbox…');
		await n8n.stop();
		await sandbox.close();
		process.exit(code);
	};
	process.on('SIGINT', () => void stop(0));
	process.on('SIGTERM', () => void stop(0));

	try {
		say('4/6 Importing the example workflows and their credentials…');
		const signingSecret = newSigningSecret();
		await n8n.importCredentials(exampleCredentials(sandbox.baseUrls, signingSecret));
		await n8n.importWorkflows(loadExamples(n8n.filesDir));
		await n8n.publish(EXAMPLES.gdpr.id);

		say(`5/6 Executing "Nightly offboarding" over ${csvFile} (${leavers.length + 2} rows)…`);
		// n8n logs a progress line every 5 s and at each pause; the bar follows them.
		const bar = new ProgressBar();
		const result = await n8n
			.execute(EXAMPLES.nightly.id, (text) => bar.feed(text))
			.finally(() => {
				const final = bar.stop();
				if (final) say(`    ${final}`);
			});
		if (result.execution?.status !== 'success')
			throw new Error(`the nightly workflow did not succeed:\n${result.stdout}${result.stderr}`);
		const reportFile = readdirSync(n8n.filesDir).find((f) => f.startsWith('offboarding-report-'));
		if (!reportFile) throw new Error(`no report was written to ${n8n.filesDir}`);
		say(`\nReport ${join(n8n.filesDir, reportFile)}:\n`);
		say(reportTable(parseReport(readFileSync(join(n8n.filesDir, reportFile), 'utf8'))));
		const node = result.execution.data.resultData.runData['Offboard Users'][0];
		for (const hint of node.hints ?? []) say(`warning: ${hint.message}`);
		say(`\nOffboard Users ran for ${(node.executionTime / 1000).toFixed(2)} s.`);

		say('\n6/6 Starting the n8n editor…');
		await n8n.start({ port, webhooks: [WEBHOOK_PATH] });
		await n8n.setupOwner(DEMO_OWNER);
		say(
			[
				'',
				`Ready after ${elapsed()}.`,
				`Editor:   ${n8n.baseUrl}   (log in as ${DEMO_OWNER.email} / ${DEMO_OWNER.password}; demo only)`,
				`Workflows: "Nightly offboarding (leavers CSV)", "GDPR erasure request (webhook)", "Remove one user from Flashback"`,
				`Files:    ${n8n.filesDir} (leavers.csv, reports)`,
				"Try the GDPR webhook, a signed request (bash, curl, openssl; the secret is this demo's own):",
				signedCurl(
					`${n8n.baseUrl}/webhook/${WEBHOOK_PATH}`,
					signingSecret,
					JSON.stringify({
						requestId: 'REQ-1',
						email: subject.email,
						ids: { ...subject, email: undefined },
					}),
				)
					.split('\n')
					.map((line) => `  ${line}`)
					.join('\n'),
				'Ctrl-C stops n8n and the sandbox.',
			].join('\n'),
		);
	} catch (error) {
		console.error(error instanceof Error ? error.message : error);
		say(`n8n's log: ${n8n.logFile}`);
		await stop(1);
	}
}

main().catch((error: unknown) => {
	const message = error instanceof Error ? error.message : String(error);
	console.error(message);
	if (/EADDRINUSE/.test(message))
		console.error(
			'Another npm start or npm run sandbox is running? Stop it, or choose ports with N8N_PORT and SANDBOX_PORT_<SYSTEM>.',
		);
	process.exit(1);
});
