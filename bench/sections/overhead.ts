/**
 * Section 5: what the package itself costs. Removals per second against an instant emulator (no
 * limit, no latency) — the engine alone, and inside n8n with one item per result or a summary —
 * CPU time per removal, and where that CPU goes (V8 CPU profiles of the run itself).
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEMO_SCOPES, demoPerson, leaversCsv } from '../../sandbox';
import { runEngineChild } from '../lib/child';
import { type CpuProfile, type ProfileSummary, summarise } from '../lib/cpuProfile';
import { sandboxTruth } from '../lib/groundTruth';
import type { MeasuredExecution } from '../lib/n8nHarness';
import {
	type BenchContext,
	fixed,
	mib,
	type Section,
	type SectionResult,
	table,
} from '../lib/report';
import { OFFBOARD_NODE, offboardCsvWorkflow, UNLIMITED } from '../lib/workflows';
import { requireRun } from './rateLimits';

const CSV_NAME = 'overhead-leavers.csv';
const ONE_NAME = 'overhead-one.csv';

interface N8nRow {
	label: string;
	users: number;
	nodeMs: number;
	cpuMs: number;
	removed: number;
	run: MeasuredExecution;
	startTime?: number;
}

async function n8nRun(
	ctx: BenchContext,
	workflowId: string,
	label: string,
	users: number,
	cpuProfileDir?: string,
): Promise<N8nRow> {
	const sandbox = await ctx.n8n.startSandbox();
	try {
		const ids = Array.from({ length: users }, (_, i) => demoPerson(i + 1).flashbackUserId);
		for (const id of ids) sandbox.flashback.addMember(DEMO_SCOPES.flashback.workspaceId, id);
		ctx.log(`overhead: ${label}`);
		const run = await ctx.n8n.execute(workflowId, { cpuProfileDir });
		const node = requireRun(run, OFFBOARD_NODE, label);
		return {
			label,
			users,
			nodeMs: node.ms,
			cpuMs: run.stats?.cpuMs ?? NaN,
			removed: sandboxTruth(sandbox, 'flashback', ids).removed,
			run,
			startTime: node.startTime,
		};
	} finally {
		await sandbox.close();
	}
}

/** The n8n process's profile, cut to the Offboard Users node's own run. */
function n8nProfile(dir: string, row: N8nRow): ProfileSummary | undefined {
	for (const name of readdirSync(dir)) {
		const text = readFileSync(join(dir, name), 'utf8');
		if (!text.includes('n8n-nodes-batch-offboarding')) continue; // the task runner's profile
		const profile = JSON.parse(text) as CpuProfile;
		if (row.startTime === undefined) return summarise(profile);
		// The profile ends when the process exits: count back from there to the node's start.
		const from = profile.endTime - (row.run.exitedAt - row.startTime) * 1000;
		return summarise(profile, [from, from + row.nodeMs * 1000]);
	}
	return undefined;
}

function profileTables(summary: ProfileSummary): string {
	return [
		table(
			['where the CPU went', 'ms', 'share'],
			summary.areas.map((a) => [a.area, fixed(a.ms, 0), `${fixed(100 * a.share, 1)} %`]),
			['l'],
		),
		'',
		table(
			['top functions (self time)', 'where', 'area', 'ms', 'share'],
			summary.top.map((f) => [
				`\`${f.fn}\``,
				`\`${f.where}\``,
				f.area,
				fixed(f.ms, 0),
				`${fixed(100 * f.share, 1)} %`,
			]),
			['l', 'l', 'l'],
		),
	].join('\n');
}

export const overheadSection: Section = {
	id: 'overhead',
	title: 'Overhead: removals per second with no limit and no latency',
	async workflows(ctx) {
		const csvPath = join(ctx.filesDir, CSV_NAME);
		const threshold = ctx.sizes.overhead.n8nUsers;
		return [
			offboardCsvWorkflow({
				id: 'overhead-perResult',
				csvPath,
				systems: ['flashback'],
				outputMode: 'perResult',
				deletionThreshold: threshold,
				limits: UNLIMITED,
			}),
			offboardCsvWorkflow({
				id: 'overhead-summary',
				csvPath,
				systems: ['flashback'],
				outputMode: 'summary',
				deletionThreshold: threshold,
				limits: UNLIMITED,
			}),
			offboardCsvWorkflow({
				id: 'overhead-baseline',
				csvPath: join(ctx.filesDir, ONE_NAME),
				systems: ['flashback'],
				outputMode: 'summary',
				deletionThreshold: threshold,
				limits: UNLIMITED,
			}),
		];
	},
	async run(ctx): Promise<SectionResult> {
		const { engineUsers, n8nUsers } = ctx.sizes.overhead;
		writeFileSync(
			join(ctx.filesDir, CSV_NAME),
			leaversCsv(Array.from({ length: n8nUsers }, (_, i) => demoPerson(i + 1))),
		);
		writeFileSync(join(ctx.filesDir, ONE_NAME), leaversCsv([demoPerson(1)]));

		// The engine alone: its own process, the emulator in this one.
		const sandbox = await ctx.n8n.startSandbox();
		let engine: {
			ms: number;
			cpuMs: number;
			statuses: Record<string, number>;
			maxRssBytes: number;
			profile: CpuProfile;
		};
		try {
			for (let i = 1; i <= engineUsers; i++)
				sandbox.flashback.addMember(
					DEMO_SCOPES.flashback.workspaceId,
					demoPerson(i).flashbackUserId,
				);
			ctx.log(`overhead: engine alone, ${engineUsers} removals`);
			engine = await runEngineChild(['overhead', sandbox.baseUrls.flashback, String(engineUsers)]);
		} finally {
			await sandbox.close();
		}
		const engineProfile = summarise(engine.profile);

		const baseline = await n8nRun(
			ctx,
			'overhead-baseline',
			'n8n, 1 user (baseline: boot and the workflow around the node)',
			1,
		);
		const perResult = await n8nRun(ctx, 'overhead-perResult', 'n8n, one item per result', n8nUsers);
		const profileDir = join(ctx.workDir, 'cpu-profile');
		mkdirSync(profileDir, { recursive: true });
		// The profiler slows what it watches: the timed run goes unprofiled, and a second one is
		// profiled — except at smoke sizes, where the numbers only show that the section runs.
		const summary = await n8nRun(
			ctx,
			'overhead-summary',
			'n8n, summary + CSV report',
			n8nUsers,
			ctx.smoke ? profileDir : undefined,
		);
		const profiled = ctx.smoke
			? summary
			: await n8nRun(
					ctx,
					'overhead-summary',
					'n8n, summary + CSV report, CPU-profiled',
					n8nUsers,
					profileDir,
				);
		const n8nProfileSummary = n8nProfile(profileDir, profiled);

		const perRemoval = (row: N8nRow) => (row.cpuMs - baseline.cpuMs) / (row.users - 1);
		ctx.shared.set('n8nCpuPerRemovalMs', perRemoval(summary));
		const rows = [
			[
				'engine alone (fetch transport, own process)',
				engineUsers,
				fixed(engine.ms / 1000, 2),
				fixed((engineUsers * 1000) / engine.ms, 0),
				fixed(engine.cpuMs / engineUsers, 3),
				mib(engine.maxRssBytes),
				`${engine.statuses.removed ?? 0} / ${engineUsers}`,
			],
			...[perResult, summary].map((row) => [
				`${row.label} (n8n's HTTP helpers)`,
				row.users,
				fixed(row.nodeMs / 1000, 2),
				fixed((row.users * 1000) / row.nodeMs, 0),
				fixed(perRemoval(row), 3),
				row.run.stats ? mib(row.run.stats.maxRssBytes) : '–',
				`${row.removed} / ${row.users}`,
			]),
		];
		const markdown = [
			`One system (Flashback emulator, no limit, no latency, in the bench process), node limits raised out of the way (rate ${UNLIMITED.ratePerSecond} req/s, concurrency ${UNLIMITED.maxConcurrency}). The engine alone runs in a Node ${process.version} process of its own (CPU = \`process.cpuUsage()\` around the run); inside n8n, time is the node's \`executionTime\` and CPU per removal is the \`n8n execute\` process's CPU time minus that of the same workflow with 1 user (${fixed(baseline.cpuMs / 1000, 1)} s: n8n's boot), divided by the removals.`,
			'',
			table(
				[
					'run',
					'removals',
					'time (s)',
					'removals / s',
					'CPU ms / removal',
					'peak RSS (MiB)',
					'removed (ground truth)',
				],
				rows,
				['l'],
			),
			'',
			'### Where the engine alone spends its CPU (V8 profile of the run)',
			'',
			profileTables(engineProfile),
			'',
			"### Where n8n spends its CPU during the Offboard Users node (summary mode; V8 profile of the `n8n execute` process, cut to the node's run)",
			'',
			n8nProfileSummary ? profileTables(n8nProfileSummary) : '_The profile was not written._',
		].join('\n');
		return {
			markdown,
			bars: [],
			checks: {
				engineRemoved: engine.statuses.removed ?? 0,
				engineUsers,
				perResultRemoved: perResult.removed,
				summaryRemoved: summary.removed,
				n8nUsers,
			},
		};
	},
};
