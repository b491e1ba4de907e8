/** Runs `bench/child/engine.ts` in a Node process of its own and returns its JSON line. */
import { execFile } from 'node:child_process';
import { join } from 'node:path';

export function runEngineChild<T>(args: string[], nodeFlags: string[] = []): Promise<T> {
	return new Promise((resolve, reject) => {
		execFile(
			process.execPath,
			[
				...nodeFlags,
				'--require',
				'ts-node/register/transpile-only',
				join(__dirname, '../child/engine.ts'),
				...args,
			],
			{
				cwd: join(__dirname, '../..'),
				maxBuffer: 512 * 1024 * 1024,
				encoding: 'utf8',
				env: { ...process.env, TS_NODE_TRANSPILE_ONLY: 'true' },
			},
			(error, stdout, stderr) => {
				if (error)
					return reject(new Error(`engine child ${args[0]} failed: ${error.message}\n${stderr}`));
				const line = stdout.trim().split('\n').pop() ?? '';
				try {
					resolve(JSON.parse(line) as T);
				} catch {
					reject(
						new Error(
							`engine child ${args[0]} printed no JSON:\n${stdout.slice(-2000)}\n${stderr}`,
						),
					);
				}
			},
		);
	});
}
