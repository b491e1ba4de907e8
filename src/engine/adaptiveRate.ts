/**
 * The rate a system accepts, learned from its 429s when it announces nothing: AIMD with a learned
 * ceiling, after TCP congestion control (RFC 5681: one multiplicative decrease per loss event, a
 * fast climb below the threshold, a slow probe above it) and the client-side throttling of the
 * Google SRE book, "Handling Overload".
 *
 * On a 429 the ceiling becomes the rate the system accepted over the last two seconds (since the
 * last pause, which would otherwise count as a slow rate) and the rate drops to 90 % of it; with
 * too few answers to measure, the ceiling is half the current rate. The 429s of requests sent
 * before that decrease, or within a second after it, belong to the same event. Below 90 % of the
 * ceiling the rate climbs 20 % per second; above, it probes by 0.5 % of the ceiling per second, so
 * a steady limit costs one 429 every several seconds. Growth is per second of time, not per answer, so it
 * does not depend on concurrency or latency.
 */

const WINDOW_MS = 2_000;
const MIN_SAMPLES = 5;
const MIN_SPAN_MS = 200;
const BELOW_CEILING = 0.9;
const FAST_CLIMB_PER_SECOND = 0.2;
const PROBE_PER_SECOND = 0.005;
const UNMEASURED_DECREASE = 0.5;
const EVENT_MS = 1_000;

export class AdaptiveRate {
	private rate: number;
	private ceiling: number | undefined;
	private lastUpdate: number;
	private lastDecrease = -Infinity;
	private readonly accepted: number[] = [];

	constructor(
		private configured: number,
		now: number,
		private readonly floor: number,
	) {
		this.rate = configured;
		this.lastUpdate = now;
	}

	get value(): number {
		return this.rate;
	}

	get learnedCeiling(): number | undefined {
		return this.ceiling;
	}

	setConfigured(rate: number): void {
		if (rate === this.configured) return;
		this.configured = rate;
		this.rate = Math.min(rate, this.ceiling ?? rate);
	}

	onAccepted(now: number): void {
		this.accepted.push(now);
		this.forgetBefore(now - WINDOW_MS);
		const seconds = Math.max(0, now - this.lastUpdate) / 1000;
		this.lastUpdate = now;
		if (this.ceiling === undefined || this.rate >= this.configured) return;
		const step =
			this.rate < this.ceiling * BELOW_CEILING
				? this.rate * FAST_CLIMB_PER_SECOND * seconds
				: this.ceiling * PROBE_PER_SECOND * seconds;
		this.rate = Math.min(this.configured, this.rate + step);
	}

	/** `sentAt`: when the request that got the 429 was sent. */
	onRateLimited(now: number, sentAt: number): void {
		// One decrease per event: 429s for requests sent before the last decrease took effect (the
		// system's own bucket needs a moment to refill at the lower rate) change nothing more.
		if (sentAt < this.lastDecrease + EVENT_MS) return;
		this.forgetBefore(now - WINDOW_MS);
		this.lastDecrease = now;
		this.lastUpdate = now;
		// Unmeasurable (too few answers since the start or a pause): TCP's halving.
		const measured = this.acceptingRate() ?? this.rate * UNMEASURED_DECREASE;
		// Never learn a ceiling above what we were sending: the measurement includes the burst.
		this.ceiling = Math.max(this.floor, Math.min(measured, this.rate));
		this.rate = Math.max(this.floor, this.ceiling * BELOW_CEILING);
	}

	/** The whole system paused (a Retry-After): answers from before say nothing about the rate after. */
	onPaused(): void {
		this.accepted.length = 0;
	}

	/** Accepted answers per second, from the first to the last in the window. */
	private acceptingRate(): number | undefined {
		const n = this.accepted.length;
		if (n < MIN_SAMPLES) return undefined;
		const span = this.accepted[n - 1] - this.accepted[0];
		if (span < MIN_SPAN_MS) return undefined;
		return ((n - 1) * 1000) / span;
	}

	private forgetBefore(time: number): void {
		let drop = 0;
		while (drop < this.accepted.length && this.accepted[drop] < time) drop++;
		if (drop > 0) this.accepted.splice(0, drop);
	}
}
