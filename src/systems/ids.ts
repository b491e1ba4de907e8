/** Validation of the ids that go into a request, shared by the five systems (DESIGN §2). */

export type IdRule = 'text' | 'positiveInteger';

export type IdCheck = { ok: true; value: string } | { ok: false; reason: string };

/** Longer ids are not ids: refusing them keeps a pasted document out of a URL. */
export const MAX_ID_LENGTH = 1024;

// NUL, CR, LF and the other C0 controls except TAB, plus DEL: never part of a real id.
// eslint-disable-next-line no-control-regex -- matching control characters is this pattern's purpose
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/;
/**
 * Characters a proxy or framework in front of an API may decode or split on before routing (`%2F`
 * becomes `/`, then `../x` reaches the router): refused in ids that go into a URL path unless the
 * system's ids really contain them (DESIGN §2). Ids in a JSON body are not restricted.
 */
const UNSAFE_IN_PATH = /[/\\?#%]/;
// Ejento: a safe positive integer, written without sign, exponent or leading zero.
const POSITIVE_INTEGER = /^[1-9][0-9]{0,15}$/;

function describe(label: string, reason: string): IdCheck {
	return { ok: false, reason: `${label} ${reason}` };
}

/**
 * Trims leading and trailing spaces (only U+0020: a TAB may be part of an id and must survive a
 * report round trip) and checks what can never be a valid id.
 */
export interface IdPlace {
	/** The id goes into a URL path segment (percent-encoded). */
	inPath: boolean;
	/** The system's real ids contain `/ \\ ? # %`: send them (encoded) rather than refuse them. */
	allowUnsafePathCharacters?: boolean;
}

export function checkId(
	raw: unknown,
	label: string,
	rule: IdRule,
	place: IdPlace = { inPath: false },
): IdCheck {
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
	if (place.inPath && !place.allowUnsafePathCharacters && UNSAFE_IN_PATH.test(value)) {
		return describe(
			label,
			`"${value.slice(0, 60)}" contains / \\ ? # or %, which would be unsafe in a URL path (a proxy that decodes it would see another path): not sent. If this system's ids really contain them, allow them in the node's options`,
		);
	}
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
