import { checkId, MAX_ID_LENGTH } from '../../src/systems/ids';

describe('checkId', () => {
	it('trims leading and trailing spaces only, keeping a TAB that is part of the id', () => {
		expect(checkId('  u-1  ', 'user id', 'text')).toEqual({ ok: true, value: 'u-1' });
		expect(checkId('\tu-1', 'user id', 'text')).toEqual({ ok: true, value: '\tu-1' });
	});

	it.each([
		[undefined, 'user id is missing'],
		[null, 'user id is missing'],
		['', 'user id is empty'],
		['   ', 'user id is empty'],
		['.', 'user id "." is not an id (it would change the path)'],
		[' .. ', 'user id ".." is not an id (it would change the path)'],
		['a\u0000b', 'user id contains a control character (NUL, CR, LF…)'],
		['a\rb', 'user id contains a control character (NUL, CR, LF…)'],
		['a\nb', 'user id contains a control character (NUL, CR, LF…)'],
		['a\ud800b', 'user id contains a lone surrogate (broken Unicode)'],
		['\udc00', 'user id contains a lone surrogate (broken Unicode)'],
		['x'.repeat(MAX_ID_LENGTH + 1), `user id is longer than ${MAX_ID_LENGTH} characters`],
		[{ id: 1 }, 'user id must be text'],
	])('refuses %j: %s', (raw, reason) => {
		expect(checkId(raw, 'user id', 'text')).toEqual({ ok: false, reason });
	});

	it('accepts unicode, slashes and query characters as text ids (they are encoded, not refused)', () => {
		for (const id of ['Zoë 🚀', 'a/b?c', '../x', '%2e%2e', '#frag', 'null']) {
			expect(checkId(id, 'user id', 'text')).toEqual({ ok: true, value: id });
		}
	});

	it.each([['1'], ['16'], ['9007199254740991'], [' 151 '], [42]])(
		'accepts Ejento integer %j',
		(raw) => {
			expect(checkId(raw, 'user id', 'positiveInteger')).toEqual({
				ok: true,
				value: String(raw).trim(),
			});
		},
	);

	it.each([
		['007'],
		['0'],
		['1e3'],
		['-5'],
		['+5'],
		['1.0'],
		['9007199254740993'],
		['12a'],
		['0x10'],
	])('refuses Ejento id %j', (raw) => {
		const result = checkId(raw, 'user id', 'positiveInteger');
		expect(result).toEqual({
			ok: false,
			reason: `user id must be a positive whole number without leading zeros (got "${raw}")`,
		});
	});
});
