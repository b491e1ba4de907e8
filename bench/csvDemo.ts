/**
 * `npm run demo:csv`: a 10-row leavers CSV over the sandbox — dry run, then the real run — with
 * both reports and their totals printed.
 */
import { csvInputRows } from '../src/csv';
import { realClock } from '../src/engine/clock';
import { LimiterRegistry } from '../src/engine/limiter';
import { offboard } from '../src/engine/offboard';
import { ReportBuilder, reportHeaderLine, reportLine } from '../src/engine/report';
import { DEMO_PEOPLE, startSandbox } from '../sandbox';
import {
	bytesOf,
	CSV_COLUMNS,
	leaversCsv,
	SANDBOX_PLACEMENT,
	sandboxPlan,
} from '../test/support/sandboxPlan';
import { sandboxRuntimes } from '../test/support/sandboxRuntimes';

async function main(): Promise<void> {
	const sandbox = await startSandbox();
	try {
		for (const person of DEMO_PEOPLE) sandbox.addPerson(person);
		const csv = leaversCsv(DEMO_PEOPLE);
		console.log(
			`Input (${DEMO_PEOPLE.length} rows):\n${csv.split('\r\n').slice(0, 3).join('\n')}\n…\n`,
		);
		const limiters = new LimiterRegistry(realClock);
		for (const dryRun of [true, false]) {
			const started = Date.now();
			const run = await offboard(() => csvInputRows(bytesOf(csv), CSV_COLUMNS), {
				plan: sandboxPlan(sandbox),
				systems: sandboxRuntimes(sandbox, { maxConcurrency: 4, ratePerSecond: 20, burst: 4 }),
				limiters,
				credentialPlacement: SANDBOX_PLACEMENT,
				dryRun,
			});
			const report = new ReportBuilder();
			const lines = [reportHeaderLine().trimEnd()];
			for await (const outcome of run) {
				report.add(outcome);
				lines.push(reportLine(outcome).trimEnd());
			}
			console.log(
				`${dryRun ? 'DRY RUN' : 'REAL RUN'} report (${lines.length - 1} rows, ${Date.now() - started} ms; first 6 rows):`,
			);
			console.log(lines.slice(0, 7).join('\n'));
			console.log('Totals:', JSON.stringify(report.totals()));
			if (report.warnings().length) console.log('Warnings:', report.warnings());
			console.log();
		}
	} finally {
		await sandbox.close();
	}
}

main().catch((error: unknown) => {
	console.error(error);
	process.exit(1);
});
