/**
 * Real SCIM 2.0 service providers (RFC 7643/7644) nobody on this project wrote, each in a child
 * process of its own on 127.0.0.1 and an OS-chosen port, stopped by its PID. Their stored state
 * (`state()`, the test-only `GET /__state`) is the ground truth a test checks against.
 *
 * - `scimmy`: scimmy 1.3.5 + scimmy-routers 1.3.2 on Express 4 (`scim/scimmyServer.cjs`).
 * - `betterAuth`: Better Auth's SCIM plugin (`scim/betterAuthServer.mjs`), see that file.
 *
 * Both take the same seed, print `LISTENING <port>` when ready and answer `/__state` the same way.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const SCRIPTS: Record<ScimServerKind, string> = {
	scimmy: join(__dirname, 'scim', 'scimmyServer.cjs'),
	betterAuth: join(__dirname, 'scim', 'betterAuthServer.mjs'),
};
/** Refuses any connection outside 127.0.0.0/8 from inside the server process too. */
const LOOPBACK_ONLY = join(__dirname, '..', '..', 'e2e', 'loopback-only.cjs');
const READY_TIMEOUT_MS = 15_000;
const KILL_AFTER_MS = 2_000;

export type ScimServerKind = 'scimmy' | 'betterAuth';

export interface SeedUser {
	userName: string;
	emails?: string[];
	/** true unless said otherwise */
	active?: boolean;
	externalId?: string;
	displayName?: string;
}

export interface ScimStateUser {
	id: string;
	userName: string;
	/** The email values, primary first. */
	emails: string[];
	active: boolean;
	externalId?: string;
}

export interface ScimMutation {
	/** The HTTP method of the request that changed the user (POST creates, PATCH/PUT, DELETE). */
	method: string;
	id: string;
	/** ms since the epoch */
	at: number;
}

export interface ScimState {
	users: ScimStateUser[];
	/** Every request that changed a user, in order; a PATCH that changed nothing is not one. */
	mutations: ScimMutation[];
}

export interface ScimServer {
	kind: ScimServerKind;
	/** The SCIM base URL, e.g. http://127.0.0.1:PORT/scim/v2 (Users are at `${baseUrl}/Users`). */
	baseUrl: string;
	/** The bearer token the server accepts (`Authorization: Bearer <token>`). */
	token: string;
	pid: number;
	state(): Promise<ScimState>;
	stop(): Promise<void>;
}

export async function startScimServer(
	kind: ScimServerKind,
	options: { token?: string; users: SeedUser[] },
): Promise<ScimServer> {
	if (kind === 'betterAuth' && !existsSync(join(__dirname, 'scim', 'node_modules', 'better-auth')))
		throw new Error(
			'Better Auth is not installed: run `npm ci --prefix test/support/scim` (scripts/deps.sh does)',
		);
	const token = options.token ?? `scim-${randomBytes(12).toString('hex')}`;
	const child: ChildProcess = spawn(process.execPath, ['--require', LOOPBACK_ONLY, SCRIPTS[kind]], {
		env: {
			...process.env,
			SCIM_SERVER_CONFIG: JSON.stringify({ token, users: options.users }),
		},
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	let stderr = '';
	child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
	const exited = new Promise<void>((resolve) => {
		if (child.exitCode !== null || child.signalCode !== null) resolve();
		else child.once('exit', () => resolve());
	});

	const stop = async (): Promise<void> => {
		if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
			process.kill(child.pid, 'SIGTERM');
			const timer = setTimeout(() => {
				if (child.exitCode === null && child.signalCode === null && child.pid !== undefined)
					process.kill(child.pid, 'SIGKILL');
			}, KILL_AFTER_MS);
			await exited;
			clearTimeout(timer);
		}
	};

	let port: number;
	try {
		port = await listeningPort(child, () => stderr);
	} catch (error) {
		await stop();
		throw error;
	}
	const origin = `http://127.0.0.1:${port}`;
	const state = async (): Promise<ScimState> => {
		const response = await fetch(`${origin}/__state`, {
			headers: { authorization: `Bearer ${token}` },
		});
		if (!response.ok)
			throw new Error(`${kind} /__state answered ${response.status}: ${await response.text()}`);
		return (await response.json()) as ScimState;
	};
	return {
		kind,
		baseUrl: `${origin}/scim/v2`,
		token,
		pid: child.pid ?? -1,
		state,
		stop,
	};
}

/** The port of the child's `LISTENING <port>` line; rejects on exit or after 15 s with its stderr. */
function listeningPort(child: ChildProcess, stderr: () => string): Promise<number> {
	return new Promise<number>((resolve, reject) => {
		let stdout = '';
		let settled = false;
		const done = (error: Error | null, port?: number): void => {
			if (settled) return;
			settled = true;
			clearTimeout(timer);
			child.off('exit', onExit);
			if (error) reject(error);
			else resolve(port as number);
		};
		// Stays attached after the line, so the pipe keeps being drained.
		const onData = (chunk: Buffer): void => {
			if (settled) return;
			stdout += chunk.toString();
			const match = /^LISTENING (\d+)$/m.exec(stdout);
			if (match) done(null, Number(match[1]));
		};
		const onExit = (code: number | null, signal: string | null): void =>
			done(new Error(`SCIM server exited (${code ?? signal}) before listening:\n${stderr()}`));
		const timer = setTimeout(
			() => done(new Error(`SCIM server not listening after ${READY_TIMEOUT_MS} ms:\n${stderr()}`)),
			READY_TIMEOUT_MS,
		);
		child.stdout?.on('data', onData);
		child.once('exit', onExit);
	});
}

/** The changes since `seeded`, in order, each as [the user's seeded userName, the method]. */
export function changesSince(state: ScimState, seeded: ScimState): Array<[string, string]> {
	const names = new Map(seeded.users.map((u) => [u.id, u.userName]));
	return state.mutations
		.slice(seeded.mutations.length)
		.map((m): [string, string] => [names.get(m.id) ?? m.id, m.method]);
}
