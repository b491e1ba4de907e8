/**
 * package.json's "n8n" section lists every node and credential in the source tree (n8n loads only
 * what is listed), each node has its codex file naming it, and every credential a node asks for is
 * one of this package's types.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ICredentialType, INodeType } from 'n8n-workflow';
import { REPO_ROOT } from '../../e2e/runtime';

const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
	name: string;
	n8n: { nodes: string[]; credentials: string[] };
};

const nodeFiles = readdirSync(join(REPO_ROOT, 'nodes'), { withFileTypes: true })
	.filter((entry) => entry.isDirectory())
	.flatMap((dir) =>
		readdirSync(join(REPO_ROOT, 'nodes', dir.name))
			.filter((file) => file.endsWith('.node.ts'))
			.map((file) => `${dir.name}/${file.replace(/\.ts$/, '')}`),
	);
const credentialFiles = readdirSync(join(REPO_ROOT, 'credentials'))
	.filter((file) => file.endsWith('.credentials.ts'))
	.map((file) => file.replace(/\.ts$/, ''));

/** The class a file exports under its own name (n8n's convention: `Flashback.node.ts` → `Flashback`). */
function instanceOf<T>(path: string): T {
	const className = path.split('/').pop()!.split('.')[0];
	// eslint-disable-next-line @typescript-eslint/no-require-imports -- each file is found at run time
	const module = require(join(REPO_ROOT, path)) as Record<string, new () => T>;
	return new module[className]();
}

describe('package.json "n8n" section', () => {
	it('lists every node and every credential of the source tree, and nothing else', () => {
		expect([...manifest.n8n.nodes].sort()).toEqual(
			nodeFiles.map((f) => `dist/nodes/${f}.js`).sort(),
		);
		expect([...manifest.n8n.credentials].sort()).toEqual(
			credentialFiles.map((f) => `dist/credentials/${f}.js`).sort(),
		);
		expect(nodeFiles).toContain('VerifyWebhookSignature/VerifyWebhookSignature.node');
		expect(credentialFiles).toContain('WebhookSigningSecretApi.credentials');
	});

	it('gives each node a codex file naming it as n8n will (package name + node name)', () => {
		for (const file of nodeFiles) {
			const node = instanceOf<INodeType>(`nodes/${file}`);
			const codex = JSON.parse(readFileSync(join(REPO_ROOT, 'nodes', `${file}.json`), 'utf8')) as {
				node: string;
			};
			expect([file, codex.node]).toEqual([file, `${manifest.name}.${node.description.name}`]);
		}
	});

	it("asks only for credential types this package defines (n8n forbids reusing another package's)", () => {
		const types = new Set(
			credentialFiles.map((file) => instanceOf<ICredentialType>(`credentials/${file}`).name),
		);
		for (const file of nodeFiles)
			for (const credential of instanceOf<INodeType>(`nodes/${file}`).description.credentials ?? [])
				expect([file, credential.name, types.has(credential.name)]).toEqual([
					file,
					credential.name,
					true,
				]);
		// Every removal node offers it, only when Shared Limits is "Redis Credential"; the signature
		// check and the report have no limits to share.
		expect(
			nodeFiles.map((file) => [
				file,
				instanceOf<INodeType>(`nodes/${file}`).description.credentials?.find(
					(c) => c.name === 'sharedLimitsRedisApi',
				)?.displayOptions ?? null,
			]),
		).toEqual(
			nodeFiles.map((file) => [
				file,
				file.startsWith('VerifyWebhookSignature') || file.startsWith('OffboardingReport')
					? null
					: { hide: { limitStore: ['auto'] } },
			]),
		);
	});
});
