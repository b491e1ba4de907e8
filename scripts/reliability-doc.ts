/**
 * Writes docs/RELIABILITY.md from the rows the reliability tests recorded in RELIABILITY_OUT
 * (`npm run reliability` runs those tests, then this). Every "observed" cell was computed by a
 * test from what it saw; the tests asserted "expected" themselves, so the document is only
 * regenerated when they all passed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';

interface Row {
	table: string;
	case: string;
	expected: string;
	observed: string;
}

const ROOT = join(__dirname, '..');
const dir = process.env.RELIABILITY_OUT ?? join(ROOT, 'test-artifacts', 'reliability');
const out = process.argv[2] ?? join(ROOT, 'docs', 'RELIABILITY.md');

/** Each table: where its rows come from and what it proves. */
const TABLES: Array<[title: string, about: string]> = [
	[
		'Fault matrix',
		'One case per fault class through the Offboard Users node in n8n-core\'s executor against the Flashback emulator (12 users, 8 attempts, 1 s request timeout): `test/n8n/faultMatrix.test.ts`. "Acting" = requests that really removed someone (emulator ground truth); "disturbed" = answers that were a fault, a 429, a 503 or a refusal by a concurrency cap; "lost" = answers lost after the removal took effect. Every row first proves from the emulator log that its fault really happened (its evidence count > 0), and fails otherwise. The same classes at exact times on a virtual clock: `test/engine/engine.test.ts`.',
	],
	[
		'Misconfiguration',
		'Per system, through Offboard Users with all five systems selected and 3 people: `test/n8n/reliability.test.ts`. "Requests" = every request the misconfigured system\'s emulator received (logins included).',
	],
	[
		'Auth',
		'Mudbase JWTs: engine on a virtual clock (`test/engine/engine.test.ts`), the node (`test/n8n/offboardUsers.test.ts`), and real n8n 2.40.7 (`test/e2e/nightly.test.ts`).',
	],
	[
		'GDPR receipt',
		'One-person erasure requests through Offboard Users in receipt mode against the emulators (`test/n8n/offboardUsers.test.ts`), and through the signed GDPR example in real n8n 2.40.7 (`test/e2e/server.test.ts`): a receipt is complete only when every answer proves it (Ejento answers an unknown project exactly like a user without access, so its "not found" counts only in a project where a removal succeeded: scope evidence), and a request that is not signed, signed with another secret, too old or replayed gets 401 before any removal.',
	],
	[
		'Limits across workers',
		'Several workers on one limit (`src/engine/limits/redisStore.ts`): two limiter registries over two Redis connections against the Flashback emulator over HTTP (`test/sandbox/sharedLimits.test.ts`), the shared store unreachable on a virtual clock (`test/engine/storeOutage.test.ts`). Real queue-mode n8n (main + 2 workers): the Queue mode table.',
	],
	[
		'SCIM apps',
		'SCIM 2.0 servers nobody here wrote, started by the test and judged by their own stored users and mutation log (`test/sandbox/scim.test.ts`): scimmy 1.3.5 (+ scimmy-routers, Express) and Better Auth\'s SCIM provider 1.7.5; faults injected by a proxy in front of scimmy (`test/support/faultProxy.ts`). "Changes" = the requests that changed a user, from the server\'s log.',
	],
	[
		'Crash and resume',
		'Real n8n killed with SIGKILL (`test/e2e/crash.test.ts`), and a failed-only report fed back (`test/n8n/offboardUsersCsv.test.ts`).',
	],
	[
		'Queue mode',
		'Real n8n 2.40.7 in queue mode (`test/e2e/queue.test.ts`): one main, two workers (each with its own copy of the package), one Redis, one PostgreSQL; webhook-triggered batches against Flashback behind a hidden rate limit (429 + Retry-After). "Acting" DELETEs = requests that really removed someone (emulator ground truth); duplicate calls = DELETEs answered after the one that removed the user.',
	],
	[
		'Hostile ids',
		"One item per id, the id in all five systems' columns, through the node: `test/n8n/hostileInput.test.ts`. `nf` sent and \"not there\", `rm` sent and removed, `422` sent in the body and refused by ProductBridge's validation, `ref` refused before any request, `skip` no id. Every row also asserts that each emulator received exactly the ids sent (decoded from one path segment or the body), that no request's path was changed (`unmatchedRequests` = 0) and that the victims whose ids the hostile ones imitate are still members.",
	],
	[
		'Hostile CSV files',
		'One CSV per case through the node, all five systems, people 1–3 present: `test/n8n/hostileInput.test.ts`. Per row: the status in PA PB EJ FB MB.',
	],
	[
		'Secrets',
		'Every output item, error item, the run data and the CSV report searched for every credential secret (and every Mudbase JWT n8n obtained) as is, JSON-escaped, percent-encoded and base64: `test/n8n/reliability.test.ts`; in real n8n, every file of its user folder and the debug log: `test/e2e/nightly.test.ts`.',
	],
	[
		'Safety rails',
		"Each rail proved by the emulators' request logs: `test/n8n/reliability.test.ts`.",
	],
];

function cell(text: string): string {
	return text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');
}

function version(pkg: string): string {
	try {
		const file = join(ROOT, 'node_modules', pkg, 'package.json');
		return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
	} catch {
		return '?';
	}
}

function main(): void {
	if (!existsSync(dir)) throw new Error(`no recorded rows in ${dir}: run \`npm run reliability\``);
	const rows: Row[] = readdirSync(dir)
		.filter((f) => f.endsWith('.jsonl'))
		.flatMap((f) =>
			readFileSync(join(dir, f), 'utf8')
				.split('\n')
				.filter((line) => line.trim() !== '')
				.map((line) => JSON.parse(line) as Row),
		);
	const known = new Set(TABLES.map(([title]) => title));
	const unknown = [...new Set(rows.map((r) => r.table))].filter((t) => !known.has(t));
	if (unknown.length > 0)
		throw new Error(`rows for tables this script does not know: ${unknown.join(', ')}`);
	const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT })
		.toString()
		.trim();
	const lines = [
		'# Reliability and security',
		'',
		'What the package promises under faults, misconfiguration and hostile input, each promise a test',
		"in `npm test`, judged by the emulated systems' ground truth (who is still a member, which",
		'requests arrived). This page is generated: `npm run reliability` runs those tests with',
		'`RELIABILITY_OUT` set, and each test records the case, what it expects and what it observed',
		'(computed from its results, never typed in). The page is only written when every test passed.',
		'',
		`Generated ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC at commit \`${commit}\` on ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.versions.node}; n8n-core ${version('n8n-core')}, n8n-workflow ${version('n8n-workflow')}; real-n8n rows: n8n 2.40.7 on Node 24.`,
		'',
	];
	for (const [title, about] of TABLES) {
		const mine = rows.filter((r) => r.table === title);
		lines.push(`## ${title}`, '', about, '');
		if (mine.length === 0) {
			lines.push('_No rows recorded in this run._', '');
			continue;
		}
		lines.push('| case | expected | observed |', '|---|---|---|');
		for (const r of mine)
			lines.push(`| ${cell(r.case)} | ${cell(r.expected)} | ${cell(r.observed)} |`);
		lines.push('');
	}
	lines.push(readFileSync(join(ROOT, 'scripts', 'reliability-notes.md'), 'utf8').trim(), '');
	writeFileSync(out, lines.join('\n'));
	console.log(`${out}: ${rows.length} rows in ${TABLES.length} tables`);
}

main();
