/**
 * The rate a system accepts, learned from its 429s when it announces nothing: AIMD with a learned
 * ceiling, after TCP congestion control (RFC 5681: one multiplicative decrease per loss event, a
 * fast climb below the threshold, a slow probe above it) and the client-side throttling of the
 * Google SRE book, "Handling Overload".
 *
 * On a 429 the ceiling becomes the rate the system accepted over the last two seconds and the rate
 * drops to 95 % of it; with too few answers to measure, the ceiling is half the current rate. The
 * 429s of requests sent before that decrease, or within a second after it, belong to the same
 * event. Below 90 % of the ceiling the rate climbs 20 % per second; above, it probes by 0.2 % of
 * the ceiling per second (with Retry-After every 429 costs a whole-system pause, so a steady limit
 * should cost one every half minute or so). Growth is per second of time, not per answer, so it
 * does not depend on concurrency or latency.
 *
 * After a pause (Retry-After) the system's own bucket has refilled, so the answers right after it
 * ride on its burst and read faster than its rate (sending 45/s into 20/s with a burst of 5 is
 * accepted for 0.2 s: "45/s"). The burst is learned from the first 429 of all — a burst accepted at
 * once, too fast to measure — and discounted from what is accepted between a pause and the next 429:
 * (accepted − burst + ½) ÷ time since the pause ended, landing at 97 % of that; such an event
 * lowers the rate by a fifth at most. Found by the benchmarks: without this, 2,000 users behind
 * 20 req/s announced by Retry-After took 2.8 × the ideal time in n8n, every 429 after a pause
 * halving the rate down to 4 req/s.
 */

const WINDOW_MS = 2_000;
const MIN_SAMPLES = 5;
const MIN_SPAN_MS = 200;
const BELOW_CEILING = 0.9;
const FAST_CLIMB_PER_SECOND = 0.2;
const PROBE_PER_SECOND = 0.002;
/** Where a decrease lands under a burst-discounted measurement (every 429 may cost a pause)… */
const AFTER_MEASURED = 0.97;
/** …and under one that reads our own pace (the sliding window includes the system's burst). */
const AFTER_SLIDING = 0.95;
/** The most one event soon after a pause lowers the rate. */
const MAX_DECREASE = 0.8;
const UNMEASURED_DECREASE = 0.5;
const EVENT_MS = 1_000;
const MIN_RESUMED_SPAN_MS = 500;
const MIN_RESUMED_SAMPLES = 10;

export class AdaptiveRate {
	private rate: number;
	private ceiling: number | undefined;
	private lastUpdate: number;
	private lastDecrease = -Infinity;
	private readonly accepted: number[] = [];
	/** When the last pause ended (answers since then may ride on the system's refilled burst). */
	private resumedAt: number | undefined;
	/** Answers the system accepted at once before its first 429: its burst, as far as we can tell. */
	private burst = 0;

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
		const sliding = this.acceptingRate();
		if (sliding === undefined && this.resumedAt === undefined && this.burst === 0)
			this.burst = this.accepted.length;
		let measured: number;
		// How far under the ceiling to land: just under an accurate measurement (with Retry-After
		// every 429 costs a pause); further under one that reads our own pace.
		let landAt = AFTER_SLIDING;
		if (this.sinceResume(now)) {
			// Soon after a pause the window reads our own pace (the system's refilled burst covered
			// it): only the burst-discounted measurement says something, and it is a few answers over
			// a short span — it can read 15/s for 20/s. So one event lowers the rate by at most a
			// fifth: a ceiling set too low costs minutes of slow probing.
			const sinceResume = this.rateSinceResume(now);
			if (sinceResume !== undefined) landAt = AFTER_MEASURED;
			measured = Math.max(sinceResume ?? 0, this.rate * MAX_DECREASE);
		} else {
			// Unmeasurable (too few answers since the start): TCP's halving.
			measured = sliding ?? this.rate * UNMEASURED_DECREASE;
		}
		// Never learn a ceiling above what we were sending: the measurement includes the burst.
		this.ceiling = Math.max(this.floor, Math.min(measured, this.rate));
		this.rate = Math.max(this.floor, this.ceiling * landAt);
	}

	/**
	 * The whole system paused (a Retry-After) until `resumesAt`: answers from before say nothing about
	 * the rate after.
	 */
	onPaused(resumesAt?: number): void {
		this.accepted.length = 0;
		this.resumedAt = resumesAt;
	}

	/** Within a window of the end of the last pause. */
	private sinceResume(now: number): boolean {
		return this.resumedAt !== undefined && now - this.resumedAt <= WINDOW_MS;
	}

	/** Accepted per second since the last pause ended, its burst discounted; while all are in the window. */
	private rateSinceResume(now: number): number | undefined {
		const since = this.resumedAt;
		if (since === undefined || this.burst === 0 || !this.sinceResume(now)) return undefined;
		const beyondBurst = this.accepted.length - this.burst;
		// Longer than the sliding window needs: a few answers over a short span can read 15/s for 20/s,
		// and a ceiling set too low takes the slow probe minutes to climb back.
		if (now - since < MIN_RESUMED_SPAN_MS || beyondBurst < MIN_RESUMED_SAMPLES) return undefined;
		// The 429 came when the system's bucket held under one token: half a token is lost on average.
		return ((beyondBurst + 0.5) * 1000) / (now - since);
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
