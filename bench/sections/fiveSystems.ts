/**
 * Section 3: five systems at once, 2,000 users each, every system behind its own hidden limit and
 * header dialect, in one Offboard Users run — against the slowest system (Flashback, 20 req/s,
 * Retry-After) run alone with the same settings.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { demoPerson, leaversCsv, USER_ID_FIELD } from '../../sandbox';
import type { SeedSystemId } from '../../src/systems';
import { rateLimitEvents, sandboxTruth, timeline } from '../lib/groundTruth';
import type { BenchContext, Section, SectionResult } from '../lib/report';
import { fixed, pct, seconds, table } from '../lib/report';
import { OFFBOARD_NODE, offboardCsvWorkflow } from '../lib/workflows';
import { requireRun, totalsOf } from './rateLimits';

const CSV_NAME = 'five-systems-leavers.csv';
const ALL: SeedSystemId[] = ['productAccess', 'productBridge', 'ejento', 'flashback', 'mudbase'];

async function flashbackAlone(ctx: BenchContext): Promise<number> {
	const known = ctx.shared.get('flashbackAloneMs');
	if (known !== undefined) return known;
	const sandbox = await ctx.n8n.startSandbox();
	try {
		const people = Array.from({ length: ctx.sizes.users }, (_, i) => demoPerson(i + 1));
		for (const person of people) sandbox.addPerson(person);
		sandbox.flashback.configure({ rateLimit: ctx.sizes.fiveSystems.flashback });
		ctx.log('five systems: Flashback alone');
		return requireRun(await ctx.n8n.execute('five-alone'), OFFBOARD_NODE, 'Flashback alone').ms;
	} finally {
		await sandbox.close();
	}
}

export const fiveSystemsSection: Section = {
	id: 'five-systems',
	title: 'Five systems at once',
	async workflows(ctx) {
		const csvPath = join(ctx.filesDir, CSV_NAME);
		return [
			offboardCsvWorkflow({
				id: 'five-all',
				csvPath,
				systems: ALL,
				outputMode: 'summary',
				deletionThreshold: ALL.length * ctx.sizes.users,
			}),
			offboardCsvWorkflow({
				id: 'five-alone',
				csvPath,
				systems: ['flashback'],
				outputMode: 'summary',
				deletionThreshold: ctx.sizes.users,
			}),
		];
	},
	async run(ctx): Promise<SectionResult> {
		const { users, fiveSystems } = ctx.sizes;
		const people = Array.from({ length: users }, (_, i) => demoPerson(i + 1));
		writeFileSync(join(ctx.filesDir, CSV_NAME), leaversCsv(people));
		const aloneMs = await flashbackAlone(ctx);
		const sandbox = await ctx.n8n.startSandbox();
		try {
			for (const person of people) sandbox.addPerson(person);
			for (const system of ALL) sandbox[system].configure({ rateLimit: fiveSystems[system] });
			ctx.log(`five systems: ${users} users × ${ALL.length} systems`);
			const node = requireRun(await ctx.n8n.execute('five-all'), OFFBOARD_NODE, 'five systems');
			const ratio = node.ms / aloneMs;
			const rows = ALL.map((system) => {
				const limit = fiveSystems[system];
				const truth = sandboxTruth(
					sandbox,
					system,
					people.map((p) => p[USER_ID_FIELD[system]]),
				);
				const failed = totalsOf(node.first, system).failed ?? NaN;
				return {
					system,
					limit,
					truth,
					failed,
					idealMs: ((users - limit.burst) / limit.rate) * 1000,
				};
			});
			const failed = rows.reduce((sum, r) => sum + r.failed, 0);
			const timelines = ALL.map(
				(system) =>
					`- ${system}: ${timeline(sandbox[system].removalRequests())} (${rateLimitEvents(sandbox[system].removalRequests())} 429 events)`,
			);
			const markdown = [
				`${users} users in each of the five systems (${ALL.length * users} removals), each system behind its own hidden limit and header dialect, in one Offboard Users run (a fresh \`n8n execute\`, same settings as section 1: rate ceiling 100 req/s, concurrency 8). "Slowest alone" is Flashback alone under the same limit${ctx.shared.has('flashbackAloneMs') ? ' — the Retry-After row of section 1' : ''}: **${seconds(aloneMs)} s**; all five together took **${seconds(node.ms)} s** (node execution time): **${fixed(ratio, 2)} ×** (bar ≤ 1.10).`,
				'',
				table(
					[
						'system',
						'hidden limit',
						'announced by',
						'ideal alone (s)',
						'removed (ground truth)',
						'failed',
						'429s',
						'requests',
						'wasted',
						'duplicates',
					],
					rows.map((r) => [
						r.system,
						`${r.limit.rate} req/s, burst ${r.limit.burst}`,
						r.limit.headers,
						seconds(r.idealMs),
						`${r.truth.removed} / ${users}`,
						r.failed,
						r.truth.rateLimited,
						r.truth.requests,
						pct(r.truth.rateLimited, r.truth.requests),
						r.truth.duplicates,
					]),
					['l', 'l', 'l'],
				),
				'',
				'Request timelines (requests accepted per second by each emulator, averaged over 5 s; 429s counted):',
				'',
				...timelines,
			].join('\n');
			return {
				markdown,
				bars: [
					{
						name: 'Five systems at once ÷ slowest alone',
						target: '≤ 1.10',
						measured: fixed(ratio, 2),
						met: ratio <= 1.1,
					},
					{
						name: 'Five systems at once: failed',
						target: '0',
						measured: String(failed),
						met: failed === 0,
					},
				],
				checks: {
					users,
					failed,
					removed: rows.reduce((sum, r) => sum + r.truth.removed, 0),
					expectedRemoved: users * ALL.length,
					duplicates: rows.reduce((sum, r) => sum + r.truth.duplicates, 0),
				},
			};
		} finally {
			await sandbox.close();
		}
	},
};
