/**
 * A system with hidden limits on the virtual clock, for discovery tests: a token bucket (the
 * sandbox's own, announcing itself in one of the header dialects), a concurrency cap checked on
 * arrival (answered at once, as a proxy in front of the system would), and a fixed latency. It
 * records every request (ground truth for the tests).
 */
import { DEFAULT_LIMITS, LimiterRegistry, type LimitSettings } from '../../src/engine/limiter';
import type { PairOutcome } from '../../src/engine/outcome';
import { DEFAULT_RETRY, type RetrySettings } from '../../src/engine/retry';
import type { HttpResponse, Transport } from '../../src/transport/types';
import { type RateLimitConfig, TokenBucket } from '../../sandbox/rateLimit';
import { collect, newRun, pairsFor, runtimeFor } from './engine';
import type { VirtualClock } from './virtualClock';

export interface HiddenLimits {
	rate?: RateLimitConfig;
	cap?: { limit: number; status: 429 | 503; retryAfterSeconds?: number };
	latencyMs: number;
}

export interface HiddenRequest {
	at: number;
	answeredAt: number;
	status: number;
	inFlight: number;
}

export class HiddenSystem {
	readonly requests: HiddenRequest[] = [];
	private readonly bucket: TokenBucket | undefined;
	private inFlight = 0;
	maxInFlight = 0;

	constructor(
		private readonly clock: VirtualClock,
		private limits: HiddenLimits,
	) {
		this.bucket = limits.rate ? new TokenBucket(limits.rate, () => clock.now()) : undefined;
	}

	/** Changes the latency from now on (a system that slows down under load elsewhere). */
	setLatency(latencyMs: number): void {
		this.limits = { ...this.limits, latencyMs };
	}

	get rejected(): number {
		return this.requests.filter((r) => r.status !== 200).length;
	}

	readonly transport: Transport = {
		send: async (): Promise<HttpResponse> => {
			const at = this.clock.now();
			const record = (status: number): HiddenRequest => {
				const r = { at, answeredAt: this.clock.now(), status, inFlight: this.inFlight };
				this.requests.push(r);
				return r;
			};
			const cap = this.limits.cap;
			if (cap && this.inFlight >= cap.limit) {
				record(cap.status);
				return {
					status: cap.status,
					headers:
						cap.retryAfterSeconds !== undefined
							? { 'retry-after': String(cap.retryAfterSeconds) }
							: {},
					body: JSON.stringify({ message: 'Too many concurrent requests' }),
				};
			}
			const admission = this.bucket?.take();
			if (admission && !admission.allowed) {
				record(429);
				return {
					status: 429,
					headers: admission.headers,
					body: JSON.stringify({ message: 'Too Many Requests' }),
				};
			}
			this.inFlight++;
			this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
			try {
				await this.clock.sleep(this.limits.latencyMs);
			} finally {
				this.inFlight--;
			}
			record(200);
			return {
				status: 200,
				headers: admission?.headers ?? {},
				body: JSON.stringify({ success: true }),
			};
		},
	};
}

export interface DiscoveryRun {
	outcomes: PairOutcome[];
	elapsedMs: number;
}

/** Removes `users` Flashback users from `system` with the package defaults (unless `limits` says otherwise). */
export async function removeAll(
	clock: VirtualClock,
	system: HiddenSystem,
	users: number,
	options: {
		limiters?: LimiterRegistry;
		limits?: Partial<LimitSettings>;
		retry?: Partial<RetrySettings>;
		prefix?: string;
	} = {},
): Promise<DiscoveryRun> {
	const started = clock.now();
	const outcomes = await clock.run(
		collect(
			newRun(pairsFor('flashback', users, options.prefix), {
				systems: {
					flashback: runtimeFor('flashback', system.transport, {
						limits: { ...DEFAULT_LIMITS, burst: undefined, ...options.limits },
						retry: { ...DEFAULT_RETRY, ...options.retry },
					}),
				},
				clock,
				limiters: options.limiters ?? new LimiterRegistry(clock),
				random: () => 0.5,
			}),
		),
	);
	return { outcomes, elapsedMs: clock.now() - started };
}
