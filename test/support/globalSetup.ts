/**
 * Once per jest run: the real n8n runtime (installed into its cache on a fresh machine, about
 * 6 minutes), Debian's Chromium, redis-server and PostgreSQL, and this package built and packed as users
 * install it. The tarball's path reaches every test file through E2E_PACKAGE_TARBALL.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { ensureRuntime, packPackage, REPO_ROOT } from '../../e2e/runtime';

export default function globalSetup(): void {
	ensureRuntime();
	execFileSync('bash', [join(REPO_ROOT, 'scripts/chromium.sh')], {
		stdio: ['ignore', 'ignore', 'inherit'],
	});
	// The Redis store tests start redis-servers of their own; installed here once, not per file.
	execFileSync('bash', [join(REPO_ROOT, 'scripts/redis.sh')], {
		stdio: ['ignore', 'ignore', 'inherit'],
	});
	// The queue-mode tests (test/e2e/queue.test.ts) start a throwaway Postgres of their own.
	execFileSync('bash', [join(REPO_ROOT, 'scripts/postgres.sh')], {
		stdio: ['ignore', 'ignore', 'inherit'],
	});
	process.env.E2E_PACKAGE_TARBALL = packPackage(join(REPO_ROOT, 'test-artifacts', 'e2e-package'));
}
