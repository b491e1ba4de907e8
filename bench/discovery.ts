/**
 * `npm run bench:discovery`: the engine alone, package defaults, on the virtual clock against
 * systems with hidden limits (test/support/hiddenSystem.ts) — seconds to run, deterministic. For
 * tuning discovery; the real measurements are `npm run bench` (real n8n, docs/BENCHMARKS.md).
 */
import type { HeaderStyle } from '../sandbox';
import { type HiddenLimits, HiddenSystem, removeAll } from '../test/support/hiddenSystem';
import { VirtualClock } from '../test/support/virtualClock';

interface Case {
	name: string;
	limits: HiddenLimits;
	users: number;
	/** Ideal time (ms): (N − burst) ÷ rate, or N × latency ÷ cap. */
	idealMs?: number;
}

function cases(): Case[] {
	const out: Case[] = [];
	const styles: HeaderStyle[] = ['draft10', 'retry-after-seconds', 'none'];
	for (const [rate, burst] of [
		[20, 5],
		[20, 20],
		[10, 2],
		[50, 10],
		[100, 20],
	])
		for (const seconds of [10, 100])
			for (const headers of styles) {
				const users = rate * seconds + burst;
				out.push({
					name: `${rate}/s burst ${burst}, ${headers}, ${users} users`,
					limits: { rate: { rate, burst, headers }, latencyMs: 5 },
					users,
					idealMs: seconds * 1000,
				});
			}
	for (const cap of [2, 4])
		for (const retryAfterSeconds of [1, undefined])
			out.push({
				name: `cap ${cap}, 503${retryAfterSeconds ? ' + Retry-After' : ''}, 600 ms`,
				limits: { cap: { limit: cap, status: 503, retryAfterSeconds }, latencyMs: 600 },
				users: 200,
				idealMs: (200 * 600) / cap,
			});
	out.push({ name: 'no limit, 50 ms', limits: { latencyMs: 50 }, users: 2000 });
	return out;
}

async function main(): Promise<void> {
	const only = process.argv[2];
	console.log('| case | time (s) | ÷ ideal | rejected | failed | max in flight | removals/s |');
	console.log('|---|---|---|---|---|---|---|');
	for (const c of cases()) {
		if (only && !c.name.includes(only)) continue;
		const clock = new VirtualClock();
		const system = new HiddenSystem(clock, c.limits);
		const run = await removeAll(clock, system, c.users);
		const failed = run.outcomes.filter((o) => o.status !== 'removed').length;
		const ratio = c.idealMs ? (run.elapsedMs / c.idealMs).toFixed(2) : '–';
		console.log(
			`| ${c.name} | ${(run.elapsedMs / 1000).toFixed(1)} | ${ratio} | ${system.rejected} of ${system.requests.length} | ${failed} | ${system.maxInFlight} | ${((c.users * 1000) / run.elapsedMs).toFixed(1)} |`,
		);
	}
}

void main();
