/**
 * One real n8n 2.40.7 (its own user folder, this package installed from its `npm pack` tarball) with
 * the example workflows and their credentials imported, and the sandbox in this process, so tests
 * read the emulators' ground truth directly.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
	exampleCredentials,
	exampleSecrets,
	loadExamples,
	newSigningSecret,
} from '../../e2e/examples';
import { N8nInstance } from '../../e2e/n8n';
import { ensureRuntime, packPackage, REPO_ROOT } from '../../e2e/runtime';
import { type DemoPerson, type Sandbox, startSandbox, USER_ID_FIELD } from '../../sandbox';
import type { SeedSystemId } from '../../src/systems';

export const SYSTEMS: readonly SeedSystemId[] = [
	'productAccess',
	'productBridge',
	'ejento',
	'flashback',
	'mudbase',
];

export interface E2eFixture {
	n8n: N8nInstance;
	sandbox: Sandbox;
	/** The GDPR webhook's signing secret (Webhook Signing Secret API credential). */
	signingSecret: string;
	/** Every secret value the imported credentials hold, the signing secret included. */
	secrets: string[];
	root: string;
	close(): Promise<void>;
}

/** The tarball jest's global setup packed (or a fresh one when a file runs on its own). */
function tarball(): string {
	const packed = process.env.E2E_PACKAGE_TARBALL;
	if (packed) return packed;
	return packPackage(join(REPO_ROOT, 'test-artifacts', 'e2e-package'));
}

export async function startFixture(
	options: { logLevel?: 'info' | 'debug' } = {},
): Promise<E2eFixture> {
	const runtime = ensureRuntime();
	const root = mkdtempSync(join(tmpdir(), 'offboarding-e2e-'));
	const sandbox = await startSandbox();
	const n8n = new N8nInstance(runtime, {
		root,
		filesDir: join(root, 'files'),
		logLevel: options.logLevel ?? 'info',
	});
	const signingSecret = newSigningSecret();
	try {
		await n8n.installPackage(tarball());
		await n8n.importCredentials(exampleCredentials(sandbox.baseUrls, signingSecret));
		await n8n.importWorkflows(loadExamples(n8n.filesDir));
	} catch (error) {
		await sandbox.close();
		throw error;
	}
	return {
		n8n,
		sandbox,
		signingSecret,
		secrets: exampleSecrets(signingSecret),
		root,
		async close() {
			await n8n.stop();
			await sandbox.close();
			rmSync(root, { recursive: true, force: true });
		},
	};
}

/** Every file under `dir` (the user folder: n8n's database, its WAL, binary data, config). */
export function filesUnder(dir: string): string[] {
	const out: string[] = [];
	for (const name of readdirSync(dir)) {
		const path = join(dir, name);
		if (name === 'node_modules') continue; // the installed package itself
		if (statSync(path).isDirectory()) out.push(...filesUnder(path));
		else out.push(path);
	}
	return out;
}

/**
 * Where any of `secrets` occurs, as text or as its JSON/URL encodings, in the given files:
 * `["<file>: <which secret>"]`, so a failure names both without printing the secret itself.
 */
export function secretOccurrences(files: readonly string[], secrets: readonly string[]): string[] {
	const found: string[] = [];
	for (const file of files) {
		const bytes = readFileSync(file);
		secrets.forEach((secret, index) => {
			const forms = new Set([
				secret,
				JSON.stringify(secret).slice(1, -1),
				encodeURIComponent(secret),
			]);
			for (const form of forms)
				if (bytes.includes(Buffer.from(form, 'utf8')))
					found.push(`${file}: secret #${index} (${secret.length} chars)`);
		});
	}
	return found;
}

/** Bearer tokens the emulator saw: a Mudbase JWT n8n obtained by logging in is a secret too. */
export function bearerTokensSeen(sandbox: Sandbox, system: SeedSystemId): string[] {
	const tokens = new Set<string>();
	for (const request of sandbox[system].requests) {
		const header = request.headers.authorization;
		if (typeof header === 'string' && header.startsWith('Bearer ')) tokens.add(header.slice(7));
	}
	return [...tokens];
}

/** Every `system:userId` of `people` still a member of the sandbox's demo scopes (ground truth). */
export function stillMembers(sandbox: Sandbox, people: readonly DemoPerson[]): string[] {
	return SYSTEMS.flatMap((system) =>
		people
			.map((person) => person[USER_ID_FIELD[system]])
			.filter((id) => sandbox.isDemoMember(system, id))
			.map((id) => `${system}:${id}`),
	);
}
