/**
 * Progress lines in real n8n 2.40.7 (issue 17): `n8n execute` of the nightly example while
 * Flashback answers 429 with Retry-After, read from n8n's own log at its default level (info) —
 * done / total per system, the pause and its reason, one final line, and nothing after it.
 */
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXAMPLES } from '../../e2e/examples';
import { readProgressLine } from '../../e2e/progressBar';
import { demoPerson, hrLeaversCsv } from '../../sandbox';
import { type E2eFixture, startFixture } from './fixture';

jest.setTimeout(240_000);

let fx: E2eFixture;
beforeAll(async () => {
	fx = await startFixture();
}, 600_000);
afterAll(async () => {
	await fx?.close();
});

const NAMES = ['Product Access', 'ProductBridge', 'Ejento', 'Flashback', 'Mudbase'];

describe('progress lines of a real n8n execute', () => {
	it('logs done / total per system and the pause reason while it runs, then one final line', async () => {
		const leavers = Array.from({ length: 20 }, (_, i) => demoPerson(601 + i));
		for (const person of leavers) fx.sandbox.addPerson(person);
		for (const name of readdirSync(fx.n8n.filesDir))
			if (name.startsWith('offboarding-report-')) rmSync(join(fx.n8n.filesDir, name));
		writeFileSync(join(fx.n8n.filesDir, 'leavers.csv'), hrLeaversCsv(leavers));
		// Flashback takes 2 removals a second and answers the rest 429 with Retry-After: 1.
		fx.sandbox.flashback.configure({
			rateLimit: { rate: 2, burst: 2, headers: 'retry-after-seconds' },
		});
		const result = await fx.n8n
			.execute(EXAMPLES.nightly.id)
			.finally(() => fx.sandbox.flashback.configure({ rateLimit: null }));
		expect(result.execution?.status).toBe('success');
		expect(fx.sandbox.flashback.removalRequests().some((r) => r.rateLimited)).toBe(true);

		const output = `${result.stdout}\n${result.stderr}`;
		const lines = output.split('\n').flatMap((line) => {
			const reading = readProgressLine(line);
			return reading ? [reading] : [];
		});
		const finals = lines.filter((line) => line.event !== 'progress');
		expect(finals.map((line) => line.event)).toEqual(['done']);
		// The final line is the last one: nothing after it, and it counts every pair.
		const final = lines.at(-1);
		expect(final?.event).toBe('done');
		expect(final?.line).toBe(
			`Offboarding done, execution ${final?.executionId}, in ${final?.elapsed}: ${NAMES.map((name) => `${name} 20/20 (20 removed)`).join('; ')}`,
		);
		expect(final?.executionId).toMatch(/^\d+$/);
		expect(new Set(lines.map((line) => line.executionId))).toEqual(new Set([final?.executionId]));

		const during = lines.filter((line) => line.event === 'progress');
		expect(during.length).toBeGreaterThan(0);
		for (const line of during) expect(line.total).toBe(100);
		const done = during.map((line) => line.done);
		expect(done).toEqual([...done].sort((a, b) => a - b));
		expect(done.every((count) => count < 100)).toBe(true);
		const pauses = during.flatMap((line) => line.holds);
		expect(pauses.length).toBeGreaterThan(0);
		for (const pause of pauses)
			expect(pause).toMatch(
				/^Flashback paused until \d\d:\d\d:\d\d UTC \(429 with Retry-After 1 s\)$/,
			);
		for (const secret of fx.secrets)
			expect(lines.some((line) => line.line.includes(secret))).toBe(false);
	});
});
