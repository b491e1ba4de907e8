/**
 * One JSON text per value, whatever order its keys were written in: object keys sorted (by UTF-16
 * code units, as RFC 8785 JCS sorts them) at every depth, no whitespace, strings and numbers as
 * `JSON.stringify` writes them (which is JCS's form for them). So a digest of a receipt's JSON can
 * be checked against any copy of that JSON, reformatted or with its keys reordered.
 */
import { createHash } from 'node:crypto';

export function canonicalJson(value: unknown): string {
	if (value === null || typeof value !== 'object') {
		const text = JSON.stringify(value);
		// undefined, functions and symbols have no JSON: refused rather than silently dropped.
		if (text === undefined) throw new TypeError(`${typeof value} has no JSON form`);
		return text;
	}
	// A Date (or anything with toJSON) is written as JSON.stringify would write it.
	const withToJson = value as { toJSON?: () => unknown };
	if (typeof withToJson.toJSON === 'function') return canonicalJson(withToJson.toJSON());
	if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v ?? null)).join(',')}]`;
	// Keys whose value is undefined are absent from JSON, so they are absent here too.
	const entries = Object.entries(value as Record<string, unknown>)
		.filter(([, v]) => v !== undefined)
		.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
	return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** SHA-256 (hex) of the value's canonical JSON in UTF-8. */
export function jsonDigest(value: unknown): string {
	return createHash('sha256').update(canonicalJson(value), 'utf8').digest('hex');
}
