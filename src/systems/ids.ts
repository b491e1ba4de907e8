/** Validation of the ids that go into a request, shared by the five systems (DESIGN §2). */

export type IdRule = 'text' | 'positiveInteger';

export type IdCheck = { ok: true; value: string } | { ok: false; reason: string };

/** Longer ids are not ids: refusing them keeps a pasted document out of a URL. */
export const MAX_ID_LENGTH = 1024;

// NUL, CR, LF and the other C0 controls except TAB, plus DEL: never part of a real id.
// eslint-disable-next-line no-control-regex -- matching control characters is this pattern's purpose
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/;
// Ejento: a safe positive integer, written without sign, exponent or leading zero.
const POSITIVE_INTEGER = /^[1-9][0-9]{0,15}$/;

function describe(label: string, reason: string): IdCheck {
	return { ok: false, reason: `${label} ${reason}` };
}

/**
 * Trims leading and trailing spaces (only U+0020: a TAB may be part of an id and must survive a
 * report round trip) and checks what can never be a valid id.
 */
export function checkId(raw: unknown, label: string, rule: IdRule): IdCheck {
	if (raw === undefined || raw === null) return describe(label, 'is missing');
	if (typeof raw !== 'string' && typeof raw !== 'number') return describe(label, 'must be text');
	const value = String(raw).replace(/^ +| +$/g, '');
	if (value === '') return describe(label, 'is empty');
	if (value === '.' || value === '..')
		return describe(label, `"${value}" is not an id (it would change the path)`);
	if (CONTROL.test(value)) return describe(label, 'contains a control character (NUL, CR, LF…)');
	if (!value.isWellFormed()) return describe(label, 'contains a lone surrogate (broken Unicode)');
	if (value.length > MAX_ID_LENGTH)
		return describe(label, `is longer than ${MAX_ID_LENGTH} characters`);
	if (rule === 'positiveInteger') {
		if (!POSITIVE_INTEGER.test(value) || !Number.isSafeInteger(Number(value))) {
			return describe(
				label,
				`must be a positive whole number without leading zeros (got "${value.slice(0, 40)}")`,
			);
		}
	}
	return { ok: true, value };
}
