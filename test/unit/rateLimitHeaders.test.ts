import { parseRetryAfter, pauseFrom, readRateLimit } from '../../src/engine/rateLimitHeaders';

const now = Date.UTC(2026, 10, 27, 12, 0, 0);

describe('parseRetryAfter', () => {
	it('reads delay-seconds (digits only) and HTTP-dates', () => {
		expect(parseRetryAfter('2', now)).toBe(2000);
		expect(parseRetryAfter(' 0 ', now)).toBe(0);
		expect(parseRetryAfter('Fri, 27 Nov 2026 12:00:30 GMT', now)).toBe(30_000);
	});

	it('treats a past date as now, and ignores what is neither form', () => {
		expect(parseRetryAfter('Fri, 27 Nov 2026 11:00:00 GMT', now)).toBe(0);
		for (const value of ['1.5', '-3', '', 'soon', '120s'])
			expect(parseRetryAfter(value, now)).toBeUndefined();
		expect(parseRetryAfter(undefined, now)).toBeUndefined();
	});

	it("never reads '120' as the year 120", () => {
		expect(parseRetryAfter('120', now)).toBe(120_000);
	});
});

describe('readRateLimit', () => {
	it('reads IETF draft-10 RateLimit and RateLimit-Policy', () => {
		expect(
			readRateLimit(
				{ 'ratelimit-policy': '"default";q=100;w=10', ratelimit: '"default";r=0;t=30' },
				now,
			),
		).toEqual({
			announcedRatePerSecond: 10,
			remaining: 0,
			resetMs: 30_000,
		});
	});

	it('reads the older RateLimit-Limit/-Remaining/-Reset', () => {
		expect(
			readRateLimit(
				{ 'ratelimit-limit': '50', 'ratelimit-remaining': '7', 'ratelimit-reset': '4' },
				now,
			),
		).toEqual({
			remaining: 7,
			resetMs: 4000,
		});
	});

	it('reads X-RateLimit-Reset as epoch seconds above 10^9, else as delta seconds', () => {
		expect(
			readRateLimit(
				{ 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(now / 1000 + 12) },
				now,
			),
		).toEqual({
			remaining: 0,
			resetMs: 12_000,
		});
		expect(readRateLimit({ 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '12' }, now)).toEqual(
			{
				remaining: 0,
				resetMs: 12_000,
			},
		);
		expect(
			readRateLimit(
				{ 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(now / 1000 - 5) },
				now,
			),
		).toEqual({
			remaining: 0,
			resetMs: 0,
		});
	});

	it('lets Retry-After win over every other header', () => {
		const signal = readRateLimit({ 'retry-after': '3', ratelimit: '"default";r=0;t=30' }, now);
		expect(signal.retryAfterMs).toBe(3000);
		expect(pauseFrom(signal)).toBe(3000);
	});

	it('pauses on remaining = 0 with a reset, not otherwise', () => {
		expect(pauseFrom(readRateLimit({ ratelimit: '"default";r=0;t=5' }, now))).toBe(5000);
		expect(pauseFrom(readRateLimit({ ratelimit: '"default";r=3;t=5' }, now))).toBeUndefined();
		expect(pauseFrom(readRateLimit({}, now))).toBeUndefined();
	});
});
