// @n8n/node-cli's rules for community nodes, in the variant *without* n8n Cloud support (DESIGN §5):
// the cloud variant forbids runtime dependencies, papaparse, `stream`/`http` imports and timers,
// which a self-hosted batch engine needs. Every further exception below carries its reason.
import { configWithoutCloudSupport } from '@n8n/node-cli/eslint';

export default [
	...configWithoutCloudSupport,
	{ ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'jest.config.js'] },
	{
		files: ['package.json'],
		rules: {
			// p-limit@3, zod@3.25.76 and papaparse are this package's engine (DESIGN §5): it is a
			// self-hosted community package, not one n8n Cloud can verify.
			'@n8n/community-nodes/no-runtime-dependencies': 'off',
			// The engine needs n8n-workflow 2.40+ (`sleep(ms, signal)`, `ignoreHttpStatusErrors.except`)
			// and is tested against 2.x only, so the peer range says so instead of "*".
			'@n8n/community-nodes/valid-peer-dependencies': 'off',
		},
	},
	{
		files: ['src/**/*.ts'],
		ignores: ['src/n8n/**'],
		rules: {
			// src/ is n8n-free by design (DESIGN §4): it has no node to hang a NodeApiError on. Its errors
			// are values (verdicts, TransportError); src/n8n/ and the nodes turn them into n8n errors.
			'@n8n/community-nodes/require-node-api-error': 'off',
		},
	},
	{
		files: [
			'sandbox/**/*.ts',
			'test/**/*.ts',
			'bench/**/*.ts',
			'e2e/**/*.ts',
			'e2e/**/*.cjs',
			'scripts/**/*.ts',
		],
		rules: {
			// The sandbox prints its URLs, benchmarks print their tables: both are command-line programs.
			'no-console': 'off',
			// Test fixtures and demo data are sandbox-only credentials that open nothing real.
			'@n8n/community-nodes/no-hardcoded-secrets': 'off',
			// Test probes and emulators are not nodes or credentials n8n loads.
			'@n8n/community-nodes/credential-test-required': 'off',
			'@n8n/community-nodes/require-node-api-error': 'off',
			'@n8n/community-nodes/node-usable-as-tool': 'off',
			'@n8n/community-nodes/require-node-description-fields': 'off',
			'@n8n/community-nodes/cred-class-field-icon-missing': 'off',
			'@n8n/community-nodes/credential-documentation-url': 'off',
			'@n8n/community-nodes/credential-password-field': 'off',
		},
	},
	{
		files: ['e2e/**/*.ts', 'test/e2e/**/*.ts', 'test/support/globalSetup.ts', 'scripts/**/*.ts'],
		rules: {
			// The real-n8n harness starts n8n, npm and Chromium as child processes; it is never
			// shipped (package.json "files" is dist/ only) and only runs fixed commands.
			'@n8n/community-nodes/no-dangerous-functions': 'off',
		},
	},
	{
		files: ['test/support/redisServer.ts'],
		rules: {
			// The Redis store tests start their own redis-server (Debian's, found by scripts/redis.sh)
			// and stop it by PID; test-only, never shipped, fixed commands only.
			'@n8n/community-nodes/no-dangerous-functions': 'off',
		},
	},
	{
		// The SCIM server scripts are plain Node (no TypeScript: each runs as a child process, the Better
		// Auth one as ESM). The shared config has no rules for .cjs/.mjs, so ESLint's core checks here.
		files: ['test/support/scim/*.cjs', 'test/support/scim/*.mjs'],
		languageOptions: {
			globals: {
				process: 'readonly',
				require: 'readonly',
				structuredClone: 'readonly',
				Request: 'readonly',
			},
		},
		rules: {
			'no-undef': 'error',
			'no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
			'prefer-const': 'error',
			eqeqeq: ['error', 'smart'],
		},
	},
	{
		files: ['test/support/scimServers.ts'],
		rules: {
			// The SCIM tests start real SCIM servers (test/support/scim/*) as Node child processes and
			// stop them by PID; test-only, never shipped, a fixed script run by process.execPath.
			'@n8n/community-nodes/no-dangerous-functions': 'off',
		},
	},
	{
		files: ['bench/**/*.ts'],
		rules: {
			// The benchmarks run n8n, npm and the engine in processes of their own, to measure each
			// alone; never shipped (package.json "files" is dist/ only), fixed commands only.
			'@n8n/community-nodes/no-dangerous-functions': 'off',
		},
	},
];
