/**
 * The hostile-input catalogue through the Offboard Users node (n8n-core's WorkflowExecute) against
 * the five emulators, as one table each for ids and for CSV files. Every case is judged by exact
 * outcomes per (row, system) and by ground truth: what each emulator received, that no request's
 * path was changed by an id (`unmatchedRequests`), and who is still a member.
 */
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';
import { OffboardUsers } from '../../nodes/OffboardUsers/OffboardUsers.node';
import { processLimiters } from '../../src/engine/limiter';
import { SEED_SYSTEM_IDS, type SeedSystemId } from '../../src/systems';
import {
	CSV_COLUMNS,
	DEMO_SCOPES,
	demoPerson,
	leaversCsv,
	type RecordedRequest,
	type Sandbox,
	startSandbox,
	USER_ID_FIELD,
} from '../../sandbox';
import { runNode } from '../support/n8n';
import {
	CREDENTIAL_TYPES,
	fastLimits,
	offboardParameters,
	sandboxCredentials,
	SHORT,
} from '../support/n8nSandbox';
import { recordReliability, shown } from '../support/reliability';

jest.setTimeout(60_000);

let sandbox: Sandbox;
beforeEach(async () => {
	processLimiters.clear();
	sandbox = await startSandbox();
});
afterEach(async () => {
	await sandbox.close();
});

const FAST = fastLimits({ maxConcurrency: 8, ratePerSecond: 200, requestTimeoutSeconds: 2 });

/**
 * What each system makes of an id: `nf` sent and answered "not there", `rm` sent and removed,
 * `422` sent and refused by ProductBridge's validation (its id travels in the body, never the path),
 * `ref` refused before any request (it cannot make a safe request), `skip` no id: nothing to do.
 */
type Expect = 'nf' | 'rm' | '422' | 'ref' | 'skip';
const TEXT_ID: Expect[] = ['nf', '422', 'ref', 'nf', 'nf']; // PA, PB, EJ, FB, MB
const NEVER: Expect[] = ['ref', 'ref', 'ref', 'ref', 'ref'];
/** `/ \\ ? # %`: refused where the id goes into a URL path (PA, FB), sent where it goes in a body (PB, MB). */
const PATH_UNSAFE: Expect[] = ['ref', '422', 'ref', 'ref', 'nf'];

const TEN_KB = 'k'.repeat(10_240);
const FORMULA = '=HYPERLINK("http://evil.example/x","click")';

const ID_CASES: Array<[label: string, value: string | null, expected: Expect[]]> = [
	['parent segment', '../victim', PATH_UNSAFE],
	['trailing parent', 'victim/..', PATH_UNSAFE],
	['deep traversal', 'x/../../victim', PATH_UNSAFE],
	['encoded dots', '%2e%2e', PATH_UNSAFE],
	['encoded slash', '%2Fvictim', PATH_UNSAFE],
	['slash and query', 'a/b?c', PATH_UNSAFE],
	['query', 'victim?x=1', PATH_UNSAFE],
	['fragment', 'victim#x', PATH_UNSAFE],
	['inner space', 'vic tim', TEXT_ID],
	['surrounding spaces (trimmed)', '  trimmed_target  ', ['rm', '422', 'ref', 'rm', 'rm']],
	['dot', '.', NEVER],
	['dot dot', '..', NEVER],
	['NUL', 'a\u0000b', NEVER],
	['CR', 'a\rb', NEVER],
	['LF', 'a\nb', NEVER],
	['lone surrogate', 'x\ud800', NEVER],
	['unicode', 'Zoë 🚀 東京', TEXT_ID],
	['10 kB', TEN_KB, NEVER],
	['empty', '', ['skip', 'skip', 'skip', 'skip', 'skip']],
	['JSON null', null, ['skip', 'skip', 'skip', 'skip', 'skip']],
	['the text "null"', 'null', TEXT_ID],
	['leading zero (Ejento 007)', '007', TEXT_ID],
	['zero', '0', TEXT_ID],
	['exponent', '1e3', TEXT_ID],
	['2^53 + 1', '9007199254740993', TEXT_ID],
	['negative', '-5', TEXT_ID],
	['backslash', 'a\\b', PATH_UNSAFE],
	['email with + and %', 'a+b%c@example.com', PATH_UNSAFE],
	['email with + . -', 'a.b+c-d@example.com', TEXT_ID],
	['formula (its URL has /: refused in a path)', FORMULA, PATH_UNSAFE],
];

/** The id a recorded request carried: the last path segment, or the body's id field. */
function sentId(system: SeedSystemId, request: RecordedRequest): string {
	if (system === 'productBridge') return String((JSON.parse(request.body) as IDataObject).user_id);
	if (system === 'mudbase') return String((JSON.parse(request.body) as IDataObject).userId);
	return decodeURIComponent(request.rawUrl.split('/').pop() ?? '');
}

function code(item: IDataObject): Expect {
	const { status, httpStatus, attempts } = item;
	if (status === 'not_found') return 'nf';
	if (status === 'removed') return 'rm';
	if (status === 'skipped') return 'skip';
	if (status === 'failed' && httpStatus === 422) return '422';
	if (status === 'failed' && attempts === 0) return 'ref';
	return `${String(status)} ${String(httpStatus)}` as Expect;
}

const row = (codes: readonly string[]): string =>
	SEED_SYSTEM_IDS.map((s, i) => `${SHORT[s]} ${codes[i]}`).join(' · ');

describe('hostile ids, one table through the node and all five systems', () => {
	it('every id gets its exact outcome per system; no path changed, nobody else touched', async () => {
		// Victims whose ids the hostile ones imitate, and the targets two cases must really remove.
		sandbox.productAccess.addMember(DEMO_SCOPES.productAccess.productId, {
			id: 'victim',
			email: 'victim@example.com',
			name: 'Victim',
		});
		sandbox.productAccess.addMember(DEMO_SCOPES.productAccess.productId, {
			id: 'trimmed_target',
			email: 'trimmed@example.com',
			name: 'Trimmed',
		});
		sandbox.productAccess.addMember(DEMO_SCOPES.productAccess.productId, {
			id: 'pa_plus',
			email: 'a+b%c@example.com',
			name: 'Plus',
		});
		for (const id of ['victim', 'trimmed_target']) {
			sandbox.flashback.addMember(DEMO_SCOPES.flashback.workspaceId, id);
			sandbox.mudbase.addParticipant(DEMO_SCOPES.mudbase.projectId, DEMO_SCOPES.mudbase.chatId, id);
		}
		sandbox.addPerson(demoPerson(1)); // untouched bystander in every system

		const items = ID_CASES.map(([, value], i) => ({
			json: {
				email: `row${i + 1}@example.com`,
				...Object.fromEntries(SEED_SYSTEM_IDS.map((s) => [USER_ID_FIELD[s], value])),
			},
		}));
		const { outputs, run } = await runNode({
			nodeType: new OffboardUsers(),
			credentialTypes: CREDENTIAL_TYPES,
			credentials: sandboxCredentials(sandbox),
			items,
			parameters: offboardParameters({ options: FAST }) as never,
		});
		expect(run.data.resultData.error).toBeUndefined();
		const results = outputs[0].map((item) => item.json);
		expect(results).toHaveLength(ID_CASES.length * SEED_SYSTEM_IDS.length);

		const observed = ID_CASES.map((_, i) =>
			SEED_SYSTEM_IDS.map((system) => {
				const mine = results.filter((r) => r.row === i + 1 && r.system === system);
				return mine.length === 1 ? code(mine[0]) : `${mine.length} outcomes`;
			}),
		);
		const unmatched = SEED_SYSTEM_IDS.flatMap((s) => sandbox[s].unmatchedRequests());
		for (const [i, [label, value, expected]] of ID_CASES.entries()) {
			recordReliability({
				table: 'Hostile ids',
				case: `${label}: ${shown(value)}`,
				expected: row(expected),
				observed: row(observed[i]),
			});
		}
		expect(observed).toEqual(ID_CASES.map(([, , expected]) => expected));

		// Refused ids name their reason; each system received exactly the ids it was sent, once each.
		for (const r of results.filter((x) => code(x) === 'ref'))
			expect(r.reason).toMatch(
				/"\.\.?" is not an id|control character|lone surrogate|longer than 1024|positive whole number|unsafe in a URL path/,
			);
		for (const [index, system] of SEED_SYSTEM_IDS.entries()) {
			const expectedIds = ID_CASES.filter(([, , e]) => ['nf', 'rm', '422'].includes(e[index])).map(
				([, value]) => String(value).replace(/^ +| +$/g, ''),
			);
			const received = sandbox[system].removalRequests().map((r) => sentId(system, r));
			expect(received.sort()).toEqual(expectedIds.sort());
		}
		expect(unmatched).toEqual([]);

		// Ground truth: the victims and the bystander are still there; the two targets are gone.
		const { productId } = DEMO_SCOPES.productAccess;
		const { workspaceId } = DEMO_SCOPES.flashback;
		const { projectId, chatId } = DEMO_SCOPES.mudbase;
		expect({
			paVictim: sandbox.productAccess.isMember(productId, 'victim'),
			fbVictim: sandbox.flashback.isMember(workspaceId, 'victim'),
			mbVictim: sandbox.mudbase.isParticipant(projectId, chatId, 'victim'),
			paTrimmed: sandbox.productAccess.isMember(productId, 'trimmed_target'),
			fbTrimmed: sandbox.flashback.isMember(workspaceId, 'trimmed_target'),
			mbTrimmed: sandbox.mudbase.isParticipant(projectId, chatId, 'trimmed_target'),
			paPlus: sandbox.productAccess.isMember(productId, 'pa_plus'),
			bystander: SEED_SYSTEM_IDS.map((s) =>
				sandbox.isDemoMember(s, demoPerson(1)[USER_ID_FIELD[s]]),
			),
		}).toEqual({
			paVictim: true,
			fbVictim: true,
			mbVictim: true,
			paTrimmed: false,
			fbTrimmed: false,
			mbTrimmed: false,
			paPlus: true, // its email holds a %: refused unless the option allows it (next test)
			bystander: [true, true, true, true, true],
		});
	});

	it('sends an id with / ? # % percent-encoded for a system the user allows it for, and only that one', async () => {
		sandbox.productAccess.addMember(DEMO_SCOPES.productAccess.productId, {
			id: 'pa_plus',
			email: 'a+b%c@example.com',
			name: 'Plus',
		});
		const { outputs } = await runNode({
			nodeType: new OffboardUsers(),
			credentialTypes: CREDENTIAL_TYPES,
			credentials: sandboxCredentials(sandbox),
			items: [
				{
					json: {
						email: 'a+b%c@example.com',
						productAccessUser: 'a+b%c@example.com',
						flashbackUserId: 'a%b',
					},
				},
			],
			parameters: offboardParameters({
				systems: ['productAccess', 'flashback'],
				options: { ...FAST, unsafePathIdSystems: ['productAccess'] },
			}) as never,
		});
		const results = outputs[0].map((item) => item.json);
		expect(results.map((r) => [r.system, r.status, r.attempts]).sort()).toEqual([
			['flashback', 'failed', 0],
			['productAccess', 'removed', 1],
		]);
		expect(sandbox.productAccess.removalRequests().map((r) => r.rawUrl.split('/').pop())).toEqual([
			'a%2Bb%25c%40example.com',
		]);
		expect(sandbox.flashback.removalRequests()).toEqual([]);
		expect(sandbox.productAccess.isMember(DEMO_SCOPES.productAccess.productId, 'pa_plus')).toBe(
			false,
		);
	});
});

function csvItem(bytes: Buffer): INodeExecutionData {
	return {
		json: {},
		binary: {
			data: { data: bytes.toString('base64'), mimeType: 'text/csv', fileName: 'leavers.csv' },
		},
	};
}

const people = [demoPerson(1), demoPerson(2), demoPerson(3)];
const utf8 = (text: string) => Buffer.from(text, 'utf8');
const good = leaversCsv(people); // CRLF, comma

interface CsvCase {
	label: string;
	bytes: () => Buffer;
	/** Per data row, its outcome in the five systems (`removed`…), or the whole file's error. */
	expected: { rows: string[] } | { fileError: string };
	/** Who must be gone afterwards (by demo person number). */
	gone: number[];
}

const NO_COLUMN = `The CSV header has none of the columns this run reads (${['email', ...SEED_SYSTEM_IDS.map((s) => USER_ID_FIELD[s])].join(', ')}); it starts with: `;
const ALL = (status: string) => SEED_SYSTEM_IDS.map(() => status).join(' ');
const CSV_CASES: CsvCase[] = [
	{
		label: 'comma, CRLF',
		bytes: () => utf8(good),
		expected: { rows: [ALL('removed'), ALL('removed'), ALL('removed')] },
		gone: [1, 2, 3],
	},
	{
		label: 'semicolon, LF',
		bytes: () => utf8(leaversCsv(people, ';').replaceAll('\r\n', '\n')),
		expected: { rows: [ALL('removed'), ALL('removed'), ALL('removed')] },
		gone: [1, 2, 3],
	},
	{
		label: 'UTF-8 BOM',
		bytes: () => utf8(`\ufeff${good}`),
		expected: { rows: [ALL('removed'), ALL('removed'), ALL('removed')] },
		gone: [1, 2, 3],
	},
	{
		label: 'UTF-16LE with BOM',
		bytes: () => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(good, 'utf16le')]),
		expected: { rows: [ALL('removed'), ALL('removed'), ALL('removed')] },
		gone: [1, 2, 3],
	},
	{
		label: 'duplicate row',
		bytes: () => utf8(leaversCsv([people[0], people[1], people[0]])),
		expected: { rows: [ALL('removed'), ALL('removed'), ALL('skipped')] },
		gone: [1, 2],
	},
	{
		label: 'unterminated quote in row 2',
		bytes: () => utf8(good.replace(people[1].email, `"${people[1].email}`)),
		expected: { rows: [ALL('removed'), ALL('failed')] },
		gone: [1],
	},
	{
		label: 'a row with an extra field',
		bytes: () =>
			utf8(good.replace(`${people[1].mudbaseUserId}\r\n`, `${people[1].mudbaseUserId},extra\r\n`)),
		expected: { rows: [ALL('removed'), ALL('failed'), ALL('removed')] },
		gone: [1, 3],
	},
	{
		label: 'formula-looking cells',
		bytes: () =>
			utf8(
				`${CSV_COLUMNS.join(',')}\r\nf@example.com,"${FORMULA.replaceAll('"', '""')}",+pb,-1,=fb,@mb\r\n` +
					`"${FORMULA.replaceAll('"', '""')}",pa_user_1,,,fb_user_1,\r\n`,
			),
		// Row 1: the Product Access formula holds a URL (/ in a path: refused, sent nowhere); the
		// others are sent as ids. Row 2: a formula where the email belongs is not an email address:
		// the row fails everywhere.
		expected: { rows: ['failed failed failed not_found not_found', ALL('failed')] },
		gone: [],
	},
	{
		label: 'Windows-1252 bytes',
		bytes: () =>
			Buffer.concat([
				utf8(`${CSV_COLUMNS.join(',')}\r\nzo`),
				Buffer.from([0xeb]),
				utf8('@x.io,pa_user_1,,,,\r\n'),
			]),
		expected: {
			fileError:
				'The file is not valid UTF-8 (line 2): save it as "CSV UTF-8" and try again. Nothing was removed.',
		},
		gone: [],
	},
	{
		label: 'empty file',
		bytes: () => Buffer.alloc(0),
		expected: { fileError: 'The CSV file is empty: it needs a header row and one row per person.' },
		gone: [],
	},
	{
		label: 'no header row',
		bytes: () => utf8(good.split('\r\n').slice(1).join('\r\n')),
		expected: {
			fileError: `${NO_COLUMN}"person1@example.com", "pa_user_1", "${people[0].productBridgeUserId}", "1001", "fb_user_1". The first line must be the header row. Nothing was removed.`,
		},
		gone: [],
	},
	{
		label: 'wrong delimiter (colon)',
		bytes: () => utf8(leaversCsv(people, ':')),
		expected: {
			fileError: `${NO_COLUMN}"${CSV_COLUMNS.join(':').slice(0, 40)}". The first line must be the header row. Nothing was removed.`,
		},
		gone: [],
	},
];

describe('hostile CSV files, one table through the node and all five systems', () => {
	it.each(CSV_CASES.map((c) => [c.label, c] as const))('%s', async (_label, testCase) => {
		for (const person of people) sandbox.addPerson(person);
		const { outputs, run } = await runNode({
			nodeType: new OffboardUsers(),
			credentialTypes: CREDENTIAL_TYPES,
			credentials: sandboxCredentials(sandbox),
			items: [csvItem(testCase.bytes())],
			parameters: offboardParameters({
				inputSource: 'csv',
				binaryPropertyName: 'data',
				options: FAST,
			}) as never,
		});
		const fileError = run.data.resultData.error?.message;
		const results = (outputs[0] ?? []).map((i) => i.json);
		const rows = [...new Set(results.map((r) => Number(r.row)))].sort((a, b) => a - b);
		const perRow = rows.map((n) =>
			SEED_SYSTEM_IDS.map(
				(s) => results.find((r) => r.row === n && r.system === s)?.status ?? '-',
			).join(' '),
		);
		const goneNow = people
			.map((p, i) =>
				SEED_SYSTEM_IDS.every((s) => !sandbox.isDemoMember(s, p[USER_ID_FIELD[s]])) ? i + 1 : 0,
			)
			.filter((n) => n > 0);
		const unmatched = SEED_SYSTEM_IDS.flatMap((s) => sandbox[s].unmatchedRequests());
		recordReliability({
			table: 'Hostile CSV files',
			case: testCase.label,
			expected:
				'fileError' in testCase.expected
					? `file refused: ${testCase.expected.fileError}`
					: testCase.expected.rows.map((r, i) => `row ${i + 1}: ${r}`).join('; '),
			observed: fileError
				? `file refused: ${fileError}`
				: `${perRow.map((r, i) => `row ${rows[i]}: ${r}`).join('; ')}; gone ${JSON.stringify(goneNow)}; unmatched ${unmatched.length}`,
		});
		if ('fileError' in testCase.expected) {
			expect({ fileError, results: results.length }).toEqual({
				fileError: testCase.expected.fileError,
				results: 0,
			});
			expect(SEED_SYSTEM_IDS.map((s) => sandbox[s].removalRequests().length)).toEqual([
				0, 0, 0, 0, 0,
			]);
		} else {
			expect(fileError).toBeUndefined();
			expect(perRow).toEqual(testCase.expected.rows);
			expect(results).toHaveLength(testCase.expected.rows.length * SEED_SYSTEM_IDS.length);
		}
		expect(goneNow).toEqual(testCase.gone);
		expect(unmatched).toEqual([]);
	});
});

describe('a 100,000-row CSV through the node', () => {
	it('dry run in summary mode: one would_remove per row, nothing sent, the report complete', async () => {
		const lines = ['email,flashbackUserId'];
		for (let i = 1; i <= 100_000; i++) lines.push(`p${i}@example.com,fb_bulk_${i}`);
		const started = Date.now();
		const { outputs, run } = await runNode({
			nodeType: new OffboardUsers(),
			credentialTypes: CREDENTIAL_TYPES,
			credentials: sandboxCredentials(sandbox),
			items: [csvItem(utf8(`${lines.join('\r\n')}\r\n`))],
			parameters: offboardParameters({
				systems: ['flashback'],
				inputSource: 'csv',
				binaryPropertyName: 'data',
				outputMode: 'summary',
				options: { ...FAST, dryRun: true, deletionThreshold: 200_000 },
			}) as never,
		});
		const seconds = (Date.now() - started) / 1000;
		expect(run.data.resultData.error).toBeUndefined();
		const summary = outputs[0][0].json;
		const report = outputs[0][0].binary?.report;
		const reportLines = Buffer.from(report?.data ?? '', 'base64')
			.toString('utf8')
			.trim()
			.split('\r\n').length;
		recordReliability({
			table: 'Hostile CSV files',
			case: '100,000 rows (dry run, summary, Flashback)',
			expected: 'would_remove 100000 · requests 0 · report 1 + 100000 lines',
			observed: `would_remove ${String((summary.totals as IDataObject).flashback && ((summary.totals as IDataObject).flashback as IDataObject).would_remove)} · requests ${sandbox.flashback.requests.length} · report ${reportLines} lines (${seconds.toFixed(1)} s)`,
		});
		expect(summary.totals).toEqual({
			flashback: { removed: 0, not_found: 0, would_remove: 100_000, skipped: 0, failed: 0 },
		});
		expect(sandbox.flashback.requests).toHaveLength(0);
		expect(reportLines).toBe(100_001);
	});
});
