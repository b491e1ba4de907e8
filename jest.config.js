/** @type {import('jest').Config} */
module.exports = {
	testEnvironment: 'node',
	roots: ['<rootDir>/test'],
	testMatch: ['**/*.test.ts'],
	transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
	// Fails the run when anything tries to reach a host outside 127.0.0.0/8.
	setupFiles: ['<rootDir>/test/support/loopback-guard.ts'],
	setupFilesAfterEnv: ['<rootDir>/test/support/loopback-guard-assert.ts'],
	// Real n8n, Chromium and the packed package, once per run (see the file).
	globalSetup: '<rootDir>/test/support/globalSetup.ts',
	testTimeout: 20000,
};
