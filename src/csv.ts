/**
 * Reads a CSV of leavers (or one of our own reports) as a stream of rows, with papaparse: header
 * row, delimiter detected from the header line, quotes, CRLF, UTF-8 with or without BOM, UTF-16
 * with BOM. Bytes that are not valid UTF-8 refuse the whole file rather than remove garbled ids;
 * a malformed row becomes a per-row error and never stops the batch.
 */
import Papa from 'papaparse';
import { Readable } from 'node:stream';
import { TextDecoder } from 'node:util';
import { Channel } from './engine/channel';
import { RunRefusedError } from './engine/offboard';
import { isReportHeader, reportRowToPair } from './engine/report';
import { columnKey, type InputRow } from './engine/rows';

export interface CsvRow {
	/** 1-based data row (the header is row 0). */
	row: number;
	fields: Record<string, string>;
	/** Why this row cannot be used as it is (the rest of the file goes on). */
	error?: string;
}

export interface CsvHeader {
	columns: string[];
	delimiter: string;
}

/** A problem with the whole file: nothing in it is used, the run is refused (a bad row only fails that row). */
export class CsvFileError extends RunRefusedError {
	override readonly name = 'CsvFileError';
}

const DELIMITERS = [',', ';', '\t', '|'] as const;
/** The first chunk given to papaparse holds at least this much text (or the whole file). */
const SAMPLE_CHARS = 64 * 1024;
/** Rows read ahead of the consumer before the parser pauses. */
const HIGH_WATER = 64;

type Encoding = 'utf-8' | 'utf-16le' | 'utf-16be';

function bomOf(bytes: Uint8Array): { encoding: Encoding; length: number } {
	if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf)
		return { encoding: 'utf-8', length: 3 };
	if (bytes[0] === 0xff && bytes[1] === 0xfe) return { encoding: 'utf-16le', length: 2 };
	if (bytes[0] === 0xfe && bytes[1] === 0xff) return { encoding: 'utf-16be', length: 2 };
	return { encoding: 'utf-8', length: 0 };
}

/**
 * Decodes bytes to text: encoding from the BOM (UTF-8 without one), `fatal` so that one invalid
 * byte refuses the file. Yields text in chunks of at least `SAMPLE_CHARS` at first, so the header
 * line and the line break are complete in the first chunk.
 */
export async function* decodeText(
	source: AsyncIterable<Uint8Array | string>,
): AsyncGenerator<string> {
	let decoder: TextDecoder | undefined;
	let lines = 0;
	let pending = '';
	let sampled = false;
	let head: Uint8Array = new Uint8Array(0);
	const decode = (bytes: Uint8Array, stream: boolean): string => {
		try {
			const text = (decoder as TextDecoder).decode(bytes, { stream });
			lines += countLineBreaks(text);
			return text;
		} catch {
			// Where: decode again, leniently, and count the lines before the first replacement character.
			const lenient = new TextDecoder(decoder?.encoding).decode(bytes);
			const line = lines + countLineBreaks(lenient.slice(0, lenient.indexOf('\ufffd'))) + 1;
			throw new CsvFileError(
				`The file is not valid ${decoder?.encoding.toUpperCase()} (line ${line}): save it as "CSV UTF-8" and try again. Nothing was removed.`,
			);
		}
	};
	for await (const chunk of source) {
		let bytes: Uint8Array = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
		if (!decoder) {
			head = concat(head, bytes);
			if (head.length < 3) continue;
			const bom = bomOf(head);
			decoder = new TextDecoder(bom.encoding, { fatal: true });
			bytes = head.subarray(bom.length);
		}
		const text = decode(bytes, true);
		if (sampled) {
			if (text) yield text;
			continue;
		}
		pending += text;
		if (pending.length >= SAMPLE_CHARS) {
			sampled = true;
			yield pending;
			pending = '';
		}
	}
	if (!decoder) {
		if (head.length === 0) return;
		const bom = bomOf(head);
		decoder = new TextDecoder(bom.encoding, { fatal: true });
		pending += decode(head.subarray(bom.length), true);
	}
	pending += decode(new Uint8Array(0), false);
	if (pending) yield pending;
}

function countLineBreaks(text: string): number {
	let count = 0;
	for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) count++;
	return count;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
	if (a.length === 0) return b;
	const out = new Uint8Array(a.length + b.length);
	out.set(a, 0);
	out.set(b, a.length);
	return out;
}

/** The delimiter the header line uses most (outside quotes); a comma if it uses none. */
export function detectDelimiter(headerLine: string): string {
	const counts = new Map<string, number>();
	let quoted = false;
	for (const ch of headerLine) {
		if (ch === '"') quoted = !quoted;
		else if (!quoted && (DELIMITERS as readonly string[]).includes(ch))
			counts.set(ch, (counts.get(ch) ?? 0) + 1);
	}
	let best = ',';
	let bestCount = 0;
	for (const delimiter of DELIMITERS) {
		const count = counts.get(delimiter) ?? 0;
		if (count > bestCount) [best, bestCount] = [delimiter, count];
	}
	return best;
}

/**
 * `text` in pieces of SAMPLE_CHARS. A piece may end inside a surrogate pair: the stream passes
 * strings through as they are (its encoding is utf8 too) and papaparse joins a row's pieces.
 */
function* pieces(text: string): Generator<string> {
	for (let at = 0; at < text.length; at += SAMPLE_CHARS) yield text.slice(at, at + SAMPLE_CHARS);
}

async function* prepend(head: string, rest: AsyncIterable<string>): AsyncGenerator<string> {
	yield head;
	yield* rest;
}

function firstLine(text: string): { line: string; newline: '\r\n' | '\n' | '\r' } {
	const match = /\r\n|\n|\r/.exec(text);
	if (!match) return { line: text, newline: '\n' };
	return { line: text.slice(0, match.index), newline: match[0] as '\r\n' | '\n' | '\r' };
}

/**
 * Streams the rows of a CSV. `onHeader` sees the header before the first row (to recognise one of
 * our reports, or to refuse a file with no usable column). Throws `CsvFileError` for a file that
 * cannot be read at all: empty, no header, not valid UTF-8.
 */
export async function* readCsvRows(
	source: AsyncIterable<Uint8Array | string>,
	onHeader?: (header: CsvHeader) => void,
): AsyncGenerator<CsvRow> {
	const text = decodeText(source);
	const first = await text.next();
	if (first.done || first.value.replace(/^\s+/, '') === '') {
		throw new CsvFileError('The CSV file is empty: it needs a header row and one row per person.');
	}
	const { line, newline } = firstLine(first.value);
	const delimiter = detectDelimiter(line);
	const rows = new Channel<CsvRow>();
	let buffered = 0;
	let paused: Papa.Parser | undefined;
	let dataRow = 0;
	let columns: string[] | undefined;

	const input = Readable.from(
		(async function* () {
			// Papaparse copies the rest of its current chunk on every pause: pieces of at most
			// SAMPLE_CHARS keep that linear (one 3 MB chunk made 100,000 rows take 15 s, not 1 s).
			for await (const chunk of prepend(first.value, text)) yield* pieces(chunk);
		})(),
		{ objectMode: false, encoding: 'utf8' },
	);
	input.on('error', (error) => rows.fail(error));

	Papa.parse<Record<string, string>>(input as unknown as Papa.LocalFile, {
		header: true,
		delimiter,
		newline,
		// Blank lines are read (and skipped below) so that they keep their row number: row 5 of
		// the report is the fifth data row a spreadsheet shows, blank lines included.
		skipEmptyLines: false,
		transformHeader: (name) => name.trim(),
		step(results, parser) {
			if (!columns) {
				columns = results.meta.fields ?? [];
				try {
					onHeader?.({ columns, delimiter });
				} catch (error) {
					// Fail first: abort() calls complete() at once, whose close() would end the rows quietly.
					rows.fail(error);
					parser.abort();
					return;
				}
			}
			dataRow++;
			const fields = { ...results.data };
			const extra = (fields as Record<string, unknown>).__parsed_extra;
			delete (fields as Record<string, unknown>).__parsed_extra;
			const blank = Object.values(fields as Record<string, unknown>).every(
				(value) => value === undefined || value === null || String(value).trim() === '',
			);
			if (blank && extra === undefined) return; // a blank line: no person, but it has its number
			const problem = results.errors[0];
			let error: string | undefined;
			if (problem?.code === 'MissingQuotes') {
				error = `row ${dataRow} opens a quote that never closes, so the rest of the file was read as one field: fix the quotes`;
			} else if (problem?.code === 'TooManyFields' || extra !== undefined) {
				error = `row ${dataRow} has more fields than the header (${columns.length}): check its quotes and delimiters`;
			} else if (problem?.code === 'TooFewFields') {
				error = `row ${dataRow} has fewer fields than the header (${columns.length}): check its quotes and delimiters`;
			} else if (problem) {
				error = `row ${dataRow} could not be read: ${problem.message}`;
			}
			rows.push({ row: dataRow, fields, ...(error ? { error } : {}) });
			if (++buffered >= HIGH_WATER && !paused) {
				paused = parser;
				parser.pause();
			}
		},
		complete() {
			if (!columns) {
				try {
					onHeader?.({
						columns: firstLine(first.value)
							.line.split(delimiter)
							.map((c) => c.trim()),
						delimiter,
					});
				} catch (error) {
					rows.fail(error);
					return;
				}
			}
			rows.close();
		},
		error(error) {
			rows.fail(error);
		},
	});

	for await (const row of rows) {
		buffered--;
		if (paused && buffered < HIGH_WATER / 4) {
			const parser = paused;
			paused = undefined;
			parser.resume();
		}
		yield row;
	}
}

/**
 * A column a run reads: `name` as the node gives it (matched to the header as `columnKey` does:
 * case and spaces ignored); `what` names the setting it comes from ("Flashback User ID Column");
 * `required`: a header without it refuses the file (a column that is only used when present, like
 * an email nobody is found by, is not).
 */
export interface CsvColumn {
	name: string;
	what?: string;
	required?: boolean;
}

/** Columns named in a refusal, at most this many (each cut at 60 characters). */
const NAMED_COLUMNS = 30;

/** `"a", "b" and 3 more`: column names as a refusal lists them. */
export function quotedColumns(columns: readonly string[], max = NAMED_COLUMNS): string {
	const shown = columns.slice(0, max).map((c) => `"${c.length > 60 ? `${c.slice(0, 60)}…` : c}"`);
	return columns.length > max
		? `${shown.join(', ')} and ${columns.length - max} more`
		: shown.join(', ');
}

/**
 * Each wanted column's header column: the same name, else the one name equal under `columnKey`.
 * Refuses (before any row is read) a header with none of them (no header row, a wrong delimiter),
 * one without a required column, and one where a name matches two columns.
 */
function resolveColumns(
	header: readonly string[],
	wanted: readonly CsvColumn[],
	fileName: string,
): Map<string, string> {
	const resolved = new Map<string, string>();
	const missing: CsvColumn[] = [];
	for (const column of wanted) {
		if (resolved.has(column.name)) continue;
		if (header.includes(column.name)) {
			resolved.set(column.name, column.name);
			continue;
		}
		const key = columnKey(column.name);
		const matches = header.filter((h) => columnKey(h) === key);
		if (matches.length > 1)
			throw new CsvFileError(
				`${column.what ?? 'The column'} "${column.name}" matches ${matches.length} columns of ${fileName} (${quotedColumns(matches, NAMED_COLUMNS)}): rename one of them in the file. Nothing was removed.`,
			);
		if (matches.length === 1) resolved.set(column.name, matches[0]);
		else if (!missing.some((m) => m.name === column.name)) missing.push(column);
	}
	if (resolved.size === 0)
		throw new CsvFileError(
			`The CSV header has none of the columns this run reads (${[...new Set(wanted.map((c) => c.name))].join(', ')}); it starts with: ${header
				.slice(0, 5)
				.map((c) => `"${c.slice(0, 40)}"`)
				.join(', ')}. The first line must be the header row. Nothing was removed.`,
		);
	const required = missing.filter((c) => c.required);
	if (required.length > 0)
		throw new CsvFileError(
			`No column ${required.map((c) => `"${c.name}"${c.what ? ` (${c.what})` : ''}`).join(' or ')} in ${fileName}; its columns are: ${quotedColumns(header, NAMED_COLUMNS)}. Map ${required.length === 1 ? 'it' : 'each'} to one of them in Offboard Users, or rename the column in the file. Nothing was removed.`,
		);
	return resolved;
}

/**
 * The rows of a leavers CSV — or of one of our reports, recognised by its first column — as engine
 * input rows. `expectedColumns` are the columns this run reads (ids, email, scope fields; a plain
 * name is an optional column): their header columns are found once (`resolveColumns`, which
 * refuses a file without them), and each row holds just those, under the names asked for.
 */
export async function* csvInputRows(
	source: AsyncIterable<Uint8Array | string>,
	expectedColumns: readonly (string | CsvColumn)[],
	fileName = 'the CSV file',
): AsyncGenerator<InputRow> {
	const wanted = expectedColumns.map((c) => (typeof c === 'string' ? { name: c } : c));
	let report = false;
	let columns: Array<[string, string]> = [];
	const onHeader = (header: CsvHeader): void => {
		report = isReportHeader(header.columns);
		if (!report) columns = [...resolveColumns(header.columns, wanted, fileName)];
	};
	for await (const row of readCsvRows(source, onHeader)) {
		if (!report || row.error) {
			const fields: Record<string, string> = {};
			for (const [name, column] of columns) fields[name] = row.fields[column];
			yield {
				kind: 'person',
				row: row.row,
				fields,
				...(row.error ? { error: row.error } : {}),
			};
			continue;
		}
		const pair = reportRowToPair(row.row, row.fields);
		if ('error' in pair) yield { kind: 'person', row: row.row, fields: {}, error: pair.error };
		else yield pair;
	}
}
