/**
 * The emulators' hidden rate limit: a token bucket (rate per second, burst), announced in one of the
 * header dialects of DESIGN §4 — or not at all.
 */

export type HeaderStyle =
	| 'retry-after-seconds' // 429 + Retry-After: <delay-seconds>
	| 'retry-after-date' // 429 + Retry-After: <HTTP-date>
	| 'draft10' // RateLimit-Policy / RateLimit (IETF draft-ietf-httpapi-ratelimit-headers-10)
	| 'legacy' // RateLimit-Limit / -Remaining / -Reset (older drafts)
	| 'x-ratelimit-epoch' // X-RateLimit-Remaining / -Reset as epoch seconds
	| 'x-ratelimit-delta' // X-RateLimit-Remaining / -Reset as delta seconds
	| 'none'; // a bare 429

export interface RateLimitConfig {
	rate: number;
	burst: number;
	headers: HeaderStyle;
}

export interface Admission {
	allowed: boolean;
	headers: Record<string, string>;
}

export class TokenBucket {
	private tokens: number;
	private last: number;

	constructor(
		readonly config: RateLimitConfig,
		private readonly now: () => number = Date.now,
	) {
		this.tokens = config.burst;
		this.last = now();
	}

	take(): Admission {
		const { rate, burst } = this.config;
		const now = this.now();
		this.tokens = Math.min(burst, this.tokens + ((now - this.last) / 1000) * rate);
		this.last = now;
		const allowed = this.tokens >= 1;
		if (allowed) this.tokens -= 1;
		const waitSeconds = allowed ? 0 : (1 - this.tokens) / rate;
		return { allowed, headers: this.headers(allowed, waitSeconds, now) };
	}

	private headers(allowed: boolean, waitSeconds: number, now: number): Record<string, string> {
		const { rate, burst, headers: style } = this.config;
		const remaining = String(Math.floor(this.tokens));
		// Header fields carry whole seconds: round waits up so a client that obeys never comes early.
		const resetSeconds = Math.max(allowed ? 0 : 1, Math.ceil(waitSeconds));
		const window = Math.max(1, Math.ceil(burst / rate));
		const quota = String(Math.max(1, Math.round(rate * window)));
		switch (style) {
			case 'retry-after-seconds':
				return allowed ? {} : { 'retry-after': String(resetSeconds) };
			case 'retry-after-date':
				return allowed ? {} : { 'retry-after': new Date(now + resetSeconds * 1000).toUTCString() };
			case 'draft10':
				return {
					'ratelimit-policy': `"default";q=${quota};w=${window}`,
					ratelimit: `"default";r=${remaining};t=${resetSeconds}`,
				};
			case 'legacy':
				return {
					'ratelimit-limit': quota,
					'ratelimit-remaining': remaining,
					'ratelimit-reset': String(resetSeconds),
				};
			case 'x-ratelimit-epoch':
				return {
					'x-ratelimit-limit': quota,
					'x-ratelimit-remaining': remaining,
					'x-ratelimit-reset': String(Math.ceil(now / 1000) + resetSeconds),
				};
			case 'x-ratelimit-delta':
				return {
					'x-ratelimit-limit': quota,
					'x-ratelimit-remaining': remaining,
					'x-ratelimit-reset': String(resetSeconds),
				};
			case 'none':
				return {};
		}
	}
}
