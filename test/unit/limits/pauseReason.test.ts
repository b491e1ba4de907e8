import { pauseReason } from '../../../src/engine/limits/pause';

const NOW = Date.UTC(2026, 10, 29, 12, 0, 0);

describe('pauseReason (why a system paused, for progress lines and the report)', () => {
	it('names the status and the Retry-After, in seconds or as an HTTP-date', () => {
		expect(pauseReason({ 'retry-after': '3' }, 429, NOW)).toBe('429 with Retry-After 3 s');
		expect(pauseReason({ 'retry-after': 'Sun, 29 Nov 2026 12:00:30 GMT' }, 503, NOW)).toBe(
			'503 with Retry-After 30 s',
		);
	});

	it('names an exhausted window and its reset when there is no Retry-After', () => {
		expect(
			pauseReason({ 'ratelimit-remaining': '0', 'ratelimit-reset': '5' }, undefined, NOW),
		).toBe('no requests left until the limit resets in 5 s');
		expect(pauseReason({ ratelimit: '"default";r=0;t=2' }, 429, NOW)).toBe(
			'429 with no requests left until the limit resets in 2 s',
		);
	});
});
