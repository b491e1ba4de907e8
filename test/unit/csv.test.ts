import { Readable } from 'node:stream';
import { CsvFileError, type CsvRow, csvInputRows, readCsvRows } from '../../src/csv';

async function read(
	input: string | Uint8Array | Array<string | Uint8Array>,
	onHeader?: (h: { columns: string[]; delimiter: string }) => void,
) {
	const chunks = Array.isArray(input) ? input : [input];
	async function* source() {
		for (const chunk of chunks)
			yield typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
	}
	const rows: CsvRow[] = [];
	for await (const row of readCsvRows(source(), onHeader)) rows.push(row);
	return rows;
}

function oneByteAtATime(bytes: Uint8Array): Uint8Array[] {
	return Array.from(bytes, (b) => Uint8Array.of(b));
}

const EXPECTED = [
	{ row: 1, fields: { email: 'a@x.io', flashbackUserId: 'fb "1"' } },
	{ row: 2, fields: { email: 'b@x.io', flashbackUserId: 'line\nbreak' } },
];

describe('readCsvRows', () => {
	it.each([
		['comma, LF', 'email,flashbackUserId\na@x.io,"fb ""1"""\nb@x.io,"line\nbreak"\n'],
		['semicolon, CRLF', 'email;flashbackUserId\r\na@x.io;"fb ""1"""\r\nb@x.io;"line\nbreak"\r\n'],
		['tab', 'email\tflashbackUserId\na@x.io\t"fb ""1"""\nb@x.io\t"line\nbreak"'],
		[
			'UTF-8 BOM, padded header',
			'\ufeff email , flashbackUserId\na@x.io,"fb ""1"""\nb@x.io,"line\nbreak"\n',
		],
	])('reads %s', async (_, text) => {
		expect(await read(text)).toEqual(EXPECTED);
	});

	it('numbers rows as a spreadsheet shows them: a blank line keeps its number, and is no person', async () => {
		const text = 'email,flashbackUserId\n\na@x.io,"fb ""1"""\n \t \nb@x.io,"line\nbreak"\n,\n\n';
		expect(await read(text)).toEqual([
			{ ...EXPECTED[0], row: 2 },
			{ ...EXPECTED[1], row: 4 },
		]);
	});

	it('reads a file fed one byte at a time, multi-byte characters split across chunks', async () => {
		const bytes = Buffer.from('email;flashbackUserId\r\nzoë@x.io;Zoë 🚀\r\n', 'utf8');
		expect(await read(oneByteAtATime(bytes))).toEqual([
			{ row: 1, fields: { email: 'zoë@x.io', flashbackUserId: 'Zoë 🚀' } },
		]);
	});

	it.each([
		[
			'UTF-16LE',
			Buffer.concat([
				Buffer.from([0xff, 0xfe]),
				Buffer.from('email,flashbackUserId\r\nzoë@x.io,Zoë\r\n', 'utf16le'),
			]),
		],
		[
			'UTF-16BE',
			Buffer.concat([
				Buffer.from([0xfe, 0xff]),
				Buffer.from('email,flashbackUserId\r\nzoë@x.io,Zoë\r\n', 'utf16le').swap16(),
			]),
		],
	])('decodes %s with a BOM', async (_, bytes) => {
		expect(await read(oneByteAtATime(bytes))).toEqual([
			{ row: 1, fields: { email: 'zoë@x.io', flashbackUserId: 'Zoë' } },
		]);
	});

	it('refuses a file that is not valid UTF-8 (Windows-1252 bytes), naming the fix', async () => {
		const cp1252 = Buffer.from([
			...Buffer.from('email,flashbackUserId\nzo'),
			0xeb,
			...Buffer.from('@x.io,fb1\n'),
		]);
		const error = await read(cp1252).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(CsvFileError);
		expect((error as Error).message).toBe(
			'The file is not valid UTF-8 (line 2): save it as "CSV UTF-8" and try again. Nothing was removed.',
		);
	});

	it('refuses an empty file', async () => {
		for (const empty of ['', '\n\n', '\ufeff']) {
			await expect(read(empty)).rejects.toThrow(
				'The CSV file is empty: it needs a header row and one row per person.',
			);
		}
	});

	it('marks malformed rows with a per-row reason and reads on', async () => {
		const rows = await read(
			'email,flashbackUserId\na@x.io,fb1,extra\nshort\nc@x.io,fb3\n"d@x.io,fb4\ne@x.io,fb5\n',
		);
		expect(rows.map((r) => [r.row, r.error])).toEqual([
			[1, 'row 1 has more fields than the header (2): check its quotes and delimiters'],
			[2, 'row 2 has fewer fields than the header (2): check its quotes and delimiters'],
			[3, undefined],
			[
				4,
				'row 4 opens a quote that never closes, so the rest of the file was read as one field: fix the quotes',
			],
		]);
		expect(rows[2].fields).toEqual({ email: 'c@x.io', flashbackUserId: 'fb3' });
	});

	it('shows the header before the first row, and a header-only file has no rows', async () => {
		const headers: unknown[] = [];
		expect(await read('email;flashbackUserId\r\n', (h) => headers.push(h))).toEqual([]);
		expect(headers).toEqual([{ columns: ['email', 'flashbackUserId'], delimiter: ';' }]);
	});

	it.each([
		['no header row', 'a@x.io,fb1\nb@x.io,fb2\nc@x.io,fb3\n', '"a@x.io", "fb1"'],
		[
			'a wrong delimiter',
			'email:flashbackUserId\na@x.io:fb1\nb@x.io:fb2\n',
			'"email:flashbackUserId"',
		],
	])(
		'refuses a file with %s: no column this run reads, nothing yielded',
		async (_, text, start) => {
			const rows: unknown[] = [];
			const error = await (async () => {
				for await (const row of csvInputRows(Readable.from([Buffer.from(text)]), [
					'email',
					'flashbackUserId',
				]))
					rows.push(row);
			})().catch((e: unknown) => e);
			expect(rows).toEqual([]);
			expect(error).toBeInstanceOf(CsvFileError);
			expect((error as Error).message).toBe(
				`The CSV header has none of the columns this run reads (email, flashbackUserId); it starts with: ${start}. The first line must be the header row. Nothing was removed.`,
			);
		},
	);

	it('reads one big chunk in pieces, even where a piece ends inside a surrogate pair', async () => {
		// One 200 KB chunk (as n8n hands over an in-memory binary); the parser is fed pieces of it.
		const ids = Array.from({ length: 3_000 }, (_, i) => `${'🚀'.repeat(30)}${i}`);
		const rows = ids.map((id, i) => `p${i}@x.io,${id}`).join('\n');
		let text = '';
		for (const pad of ['', 'x', 'xx']) {
			text = `email,flashbackUserId\n${pad}${rows}\n`;
			if (/[\ud800-\udbff]/.test(text[64 * 1024 - 1])) break;
		}
		expect(text.charCodeAt(64 * 1024 - 1)).toBeGreaterThanOrEqual(0xd800); // the case is real
		const read_ = await read(text);
		expect(read_.map((r) => r.fields.flashbackUserId)).toEqual(ids);
	});

	it('keeps cells byte for byte: leading =, +, -, @, TAB, quotes', async () => {
		const rows = await read('flashbackUserId\n=1+2\n+x\n-5\n@me\n"\tt"\n"\'q"\n');
		expect(rows.map((r) => r.fields.flashbackUserId)).toEqual([
			'=1+2',
			'+x',
			'-5',
			'@me',
			'\tt',
			"'q",
		]);
	});

	it('streams: 100,000 rows arrive in order', async () => {
		const lines = ['email,flashbackUserId'];
		for (let i = 1; i <= 100_000; i++) lines.push(`p${i}@x.io,fb${i}`);
		let count = 0;
		let outOfOrder = 0;
		async function* source() {
			const text = lines.join('\n');
			for (let i = 0; i < text.length; i += 16_384) yield Buffer.from(text.slice(i, i + 16_384));
		}
		for await (const row of readCsvRows(source())) {
			count++;
			if (row.row !== count || row.fields.flashbackUserId !== `fb${count}`) outOfOrder++;
		}
		expect({ count, outOfOrder }).toEqual({ count: 100_000, outOfOrder: 0 });
	});
});
