import { readPause } from '../../../src/engine/limits/pause';

const NOW = Date.UTC(2026, 10, 29, 12, 0, 0);

describe('pause (what rate-limit headers ask of the whole system)', () => {
	it('pauses an overload answer for its Retry-After, in seconds or as an HTTP-date', () => {
		expect(readPause({ 'retry-after': '2' }, true, NOW, 120_000)).toEqual({
			decision: { kind: 'pause', until: NOW + 2_000 },
		});
		expect(
			readPause({ 'retry-after': 'Sun, 29 Nov 2026 12:00:30 GMT' }, true, NOW, 120_000),
		).toEqual({ decision: { kind: 'pause', until: NOW + 30_000 } });
	});

	it('ignores a Retry-After on an answer that is not overload', () => {
		expect(readPause({ 'retry-after': '2' }, false, NOW, 120_000)).toEqual({
			decision: { kind: 'none' },
		});
	});

	it('a pause beyond the cap is a quota: fail fast until then, saying when', () => {
		expect(readPause({ 'retry-after': '86400' }, true, NOW, 120_000)).toEqual({
			decision: {
				kind: 'quota',
				until: NOW + 86_400_000,
				reason: 'rate-limited until 2026-11-30T12:00:00.000Z',
			},
		});
	});

	it('reads draft-10: the announced policy, and remaining 0 with a reset as a pause on any answer', () => {
		const headers = { 'ratelimit-policy': '"default";q=100;w=10', ratelimit: '"default";r=0;t=3' };
		expect(readPause(headers, false, NOW, 120_000)).toEqual({
			announcedRatePerSecond: 10,
			decision: { kind: 'pause', until: NOW + 3_000 },
		});
	});

	it('"0 left, resets in 0 s" is no pause; what remains caps the tokens', () => {
		expect(
			readPause({ 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '0' }, false, NOW, 1e5),
		).toEqual({
			decision: { kind: 'remaining', remaining: 0 },
		});
		expect(
			readPause({ 'ratelimit-remaining': '7', 'ratelimit-reset': '5' }, false, NOW, 1e5),
		).toEqual({
			decision: { kind: 'remaining', remaining: 7 },
		});
	});
});
