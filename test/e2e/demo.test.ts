/**
 * The README's first command, `npm start`, as a user runs it: it prints the nightly batch's report,
 * leaves the editor answering with the printed demo login and the printed webhook command working,
 * and Ctrl-C stops n8n and the sandbox. Ports are free ones so it can run beside anything.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../e2e/n8n';
import { REPO_ROOT } from '../../e2e/runtime';

jest.setTimeout(300_000);

let child: ChildProcess | undefined;
let output = '';
let demoDir = '';

afterAll(() => {
	// A failed test must not leave the demo running.
	if (child?.pid && child.exitCode === null && child.signalCode === null)
		process.kill(-child.pid, 'SIGKILL');
	if (demoDir) rmSync(demoDir, { recursive: true, force: true });
});

async function waitFor(text: string, ms: number): Promise<void> {
	const deadline = Date.now() + ms;
	while (!output.includes(text)) {
		if (child?.exitCode !== null)
			throw new Error(`npm start exited ${child?.exitCode}:\n${output}`);
		if (Date.now() > deadline) throw new Error(`no "${text}" after ${ms} ms:\n${output}`);
		await new Promise((resolve) => setTimeout(resolve, 200));
	}
}

async function answers(port: number): Promise<boolean> {
	try {
		await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2000) });
		return true;
	} catch {
		return false;
	}
}

describe('npm start', () => {
	it('runs the sample batch, prints its report, serves the editor and stops on Ctrl-C', async () => {
		demoDir = mkdtempSync(join(tmpdir(), 'offboarding-demo-'));
		const n8nPort = await freePort();
		const env: NodeJS.ProcessEnv = { ...process.env, DEMO_DIR: demoDir, N8N_PORT: String(n8nPort) };
		delete env.NODE_ENV;
		const sandboxPorts: number[] = [];
		for (const system of ['PRODUCTACCESS', 'PRODUCTBRIDGE', 'EJENTO', 'FLASHBACK', 'MUDBASE']) {
			sandboxPorts.push(await freePort());
			env[`SANDBOX_PORT_${system}`] = String(sandboxPorts.at(-1));
		}
		// Its own process group, like a terminal's foreground job, so Ctrl-C (SIGINT) reaches it all.
		child = spawn('npm', ['start'], { cwd: REPO_ROOT, env, detached: true });
		child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
		child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));

		await waitFor('Ctrl-C stops n8n and the sandbox.', 240_000);
		// The report table: 20 leavers removed everywhere, one who never had access, one duplicate.
		expect(output).toMatch(
			/^1 {4}person1@example\.com +productAccess +pa_user_1 +removed +200 +1 +Product Access confirmed the removal \(200\)$/m,
		);
		expect(output).toMatch(
			/^21 +person21@example\.com +flashback +fb_user_21 +not_found +404 +1 +Flashback says the user is not there/m,
		);
		expect(output).toMatch(
			/^22 +person3@example\.com +mudbase +usr_person3 +skipped +0 +duplicate of row 3/m,
		);
		for (const system of ['productAccess', 'productBridge', 'ejento', 'flashback', 'mudbase'])
			expect(output).toMatch(new RegExp(`^${system} +removed 20, not_found 1, skipped 1$`, 'm'));

		const base = `http://127.0.0.1:${n8nPort}`;
		expect(output).toContain(
			`Editor:   ${base}   (log in as owner@example.com / Offboarding-demo-1; demo only)`,
		);
		const editor = await fetch(`${base}/`);
		expect(editor.status).toBe(200);
		expect(await editor.text()).toContain('<title>n8n.io');
		const login = await fetch(`${base}/rest/login`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({
				emailOrLdapLoginId: 'owner@example.com',
				password: 'Offboarding-demo-1',
			}),
		});
		expect(login.status).toBe(200);

		// The printed webhook command works as printed: bash signs the body with openssl, curl sends it.
		const snippet = /Try the GDPR webhook[^\n]*\n([\s\S]*?)\nCtrl-C stops/.exec(output);
		expect(snippet).not.toBeNull();
		const script = (snippet as RegExpExecArray)[1];
		expect(script).toContain(`curl -s -X POST ${base}/webhook/gdpr-erasure -H "X-Timestamp: $ts"`);
		const { stdout } = await promisify(execFile)('bash', ['-c', script]);
		expect(JSON.parse(stdout)).toMatchObject({ requestId: 'REQ-1', complete: true });

		// Ctrl-C: npm ends by the signal itself (as in a terminal); n8n and the sandbox shut down.
		const exited = new Promise<void>((resolve) => child?.once('exit', () => resolve()));
		process.kill(-(child.pid as number), 'SIGINT');
		await exited;
		const ports = [n8nPort, ...sandboxPorts];
		const deadline = Date.now() + 30_000;
		let listening = ports;
		while (listening.length > 0 && Date.now() < deadline) {
			await new Promise((resolve) => setTimeout(resolve, 250));
			listening = (
				await Promise.all(ports.map(async (port) => ((await answers(port)) ? [port] : [])))
			).flat();
		}
		expect(listening).toEqual([]);
		expect(output).toContain('Stopping n8n and the sandbox…');
	});
});
