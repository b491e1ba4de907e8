/**
 * The rate a system accepts, discovered rather than configured (DESIGN §4): slow start, then AIMD
 * with a learned ceiling, after TCP congestion control (RFC 5681: exponential growth until the
 * first loss, one multiplicative decrease per loss event, a fast climb below the threshold, a slow
 * probe above it) and the client-side throttling of the Google SRE book, "Handling Overload".
 *
 * The configured rate is where it starts; only an explicit maximum is a ceiling. It grows only
 * while the rate is what holds requests back (RFC 7661, "congestion window validation": a rate
 * nobody uses proves nothing): doubling every 750 ms until the first 429 (slow start), then +20 %
 * a second below 90 % of the learned ceiling — and above it too while that ceiling is a guess (a
 * cut made on too few answers to measure, or where slow start ended), so a wrong guess is left
 * within seconds. A rate the system announces (`RateLimit-Policy`) is adopted at once, above the
 * starting rate too. After a quiet spell what was learned is a start, not a law: the ceiling
 * becomes a guess again.
 *
 * On a 429 the ceiling becomes the rate the system accepted over the last two seconds and the rate
 * drops to 95 % of it; with too few answers to measure, the ceiling is half the current rate. The
 * 429s of requests sent before that decrease, or within a second after it, belong to the same
 * event. Below 90 % of the ceiling the rate climbs 20 % per second; above, it probes by 0.1 % of
 * the ceiling per second: with Retry-After every 429 costs a whole-system pause (a second or more,
 * for every worker), so a steady limit should cost one about every minute — a limit that rises by
 * a tenth is found within two minutes. Growth is per second of time, not per answer, so it does not
 * depend on concurrency or latency.
 *
 * Where slow start ends, the ceiling is a guess: the last second's answers read the limit plus
 * whatever of the system's burst they rode on, minus the part of the second our rate (or the work
 * arriving — n8n starting executions) was still below the limit. Measured in real queue mode: 25
 * answers in the second before the first 429 for a limit of 30/s, a ceiling of 22.5 that the probe
 * took the whole run to climb past (1.31 × the ideal time). As a guess it is climbed past 1.5 s
 * after the 429's pause ends, and the next 429 — the rate at the limit for seconds — measures it
 * (1.08 ×; that 429 came 7.3 s after the batches were posted).
 *
 * After a pause (Retry-After) the system's own bucket has refilled, so the answers right after it
 * ride on its burst and read faster than its rate (sending 45/s into 20/s with a burst of 5 is
 * accepted for 0.2 s: "45/s"). While the limit is being searched for (the first 10 s after the
 * first 429), the burst — learned from the first 429 of all, a burst accepted at once, too fast to
 * measure — is discounted from what is accepted between a pause and the next 429: (accepted −
 * burst + ½) ÷ time since the pause ended, landing at 97 % of that; such an event lowers the rate
 * by a fifth at most. Past the search, a 429 is the limit's edge or a bunch of arrivals after a
 * stall of n8n's request path: one event lowers the rate by a tenth at most. Found by the
 * benchmarks: without this, 2,000 users behind 20 req/s announced by Retry-After took 2.8 × the
 * ideal time in n8n, every 429 after a pause halving the rate down to 4 req/s.
 */

import { dropBefore } from './store';

/** The window a 429 measures the accepting rate over. */
export const WINDOW_MS = 2_000;
/** Slow start: the rate doubles every this long while it holds requests back. */
const SLOW_START_DOUBLING_MS = 750;
const SLOW_START_WINDOW_MS = 1_000;
/** The share of the last second's answers taken as the limit when slow start ends (the rest was burst). */
const SLOW_START_EXIT = 0.9;
/** After this long without a 429 what was learned is a guess again (the limit may have changed). */
export const QUIET_MS = 10 * 60_000;
/**
 * A guessed ceiling is climbed past this long after the last 429 and the end of its pause: the
 * event is over (`EVENT_MS`) and the answers riding on the system's refilled burst are past. (At
 * 1 s a cut that was right is climbed past too soon: a 429 more behind a hidden 20/s, in
 * test/engine/pauseRecovery.test.ts and sharedRate.test.ts.)
 */
const GUESS_HOLD_MS = 1_500;
const MIN_SAMPLES = 5;
const MIN_SPAN_MS = 200;
const BELOW_CEILING = 0.9;
const FAST_CLIMB_PER_SECOND = 0.2;
const PROBE_PER_SECOND = 0.001;
/** Where a decrease lands under a burst-discounted measurement (every 429 may cost a pause)… */
const AFTER_MEASURED = 0.97;
/** …and under one that reads our own pace (the sliding window includes the system's burst). */
const AFTER_SLIDING = 0.95;
/** The most one event lowers the rate while the limit is searched for… */
const MAX_DECREASE = 0.8;
/** …and once it is found. */
const EDGE_DECREASE = 0.9;
const UNMEASURED_DECREASE = 0.5;
const EVENT_MS = 1_000;
const MIN_RESUMED_SPAN_MS = 500;
const MIN_RESUMED_SAMPLES = 10;
/** How long after the first 429 the limit is searched for with burst-discounted measurements. */
const SEARCH_MS = 10_000;

/** `AdaptiveRate.snapshot()`: times in ms, null for never. */
export interface RateState {
	rate: number;
	ceiling: number | null;
	measured: boolean;
	lastLoss: number | null;
	lastSlowStartStep: number | null;
	lastUpdate: number;
	lastDecrease: number | null;
	resumedAt: number | null;
	clearedAt: number | null;
	burst: number;
	foundAfterPause: boolean;
	firstEventAt: number | null;
}

export class AdaptiveRate {
	private rate: number;
	private ceiling: number | undefined;
	/** The ceiling came from a measurement (not from a fraction of the rate, nor from long ago). */
	private measured = false;
	private lastLoss = -Infinity;
	/** When slow start last raised the rate. */
	private lastSlowStartStep = -Infinity;
	private lastUpdate: number;
	private lastDecrease = -Infinity;
	private readonly accepted: number[] = [];
	/** When the last pause ended (answers since then may ride on the system's refilled burst). */
	private resumedAt: number | undefined;
	/** When the last pause was learned: answers before it say nothing about the rate after. */
	private clearedAt = -Infinity;
	/** Answers the system accepted at once before its first 429: its burst, as far as we can tell. */
	private burst = 0;
	/** The burst-discounted measurement after a pause has set the ceiling (the limit is found). */
	private foundAfterPause = false;
	private firstEventAt: number | undefined;

	/**
	 * `start`: the rate to begin with; `max`: an explicit ceiling (Infinity: none).
	 * `learned`: what an earlier run taught, if any.
	 */
	constructor(
		start: number,
		private max: number,
		now: number,
		private readonly floor: number,
		learned?: {
			ratePerSecond: number;
			ceiling?: number;
			ceilingMeasured?: boolean;
			burst?: number;
		},
	) {
		this.rate = Math.min(max, learned?.ratePerSecond ?? start);
		this.ceiling = learned?.ceiling;
		this.measured = learned?.ceilingMeasured === true;
		this.burst = learned?.burst ?? 0;
		this.lastUpdate = now;
	}

	get value(): number {
		return this.rate;
	}

	get learnedCeiling(): number | undefined {
		return this.ceiling;
	}

	/** Whether the ceiling came from a measurement (a guess is left quickly). */
	get ceilingMeasured(): boolean {
		return this.measured;
	}

	/** Answers accepted at once before the first 429 (0: unknown). */
	get learnedBurst(): number {
		return this.burst;
	}

	/** When a 429 event last lowered the rate (undefined: never). */
	get lastDecreaseAt(): number | undefined {
		return Number.isFinite(this.lastDecrease) ? this.lastDecrease : undefined;
	}

	/**
	 * Everything this rate knows but the accepted answers (those the store keeps for every worker),
	 * its times moved by `shift` ms (into the store's clock): what workers sharing a system hand each
	 * other, so that together they adapt as one (`store.ts` SharedRate).
	 */
	snapshot(shift = 0): RateState {
		const at = (time: number | undefined): number | null =>
			time === undefined || !Number.isFinite(time) ? null : time + shift;
		return {
			rate: this.rate,
			ceiling: this.ceiling ?? null,
			measured: this.measured,
			lastLoss: at(this.lastLoss),
			lastSlowStartStep: at(this.lastSlowStartStep),
			lastUpdate: this.lastUpdate + shift,
			lastDecrease: at(this.lastDecrease),
			resumedAt: at(this.resumedAt),
			clearedAt: at(this.clearedAt),
			burst: this.burst,
			foundAfterPause: this.foundAfterPause,
			firstEventAt: at(this.firstEventAt),
		};
	}

	/**
	 * Takes another worker's snapshot (its times moved back by `shift`): growth is counted from its
	 * `lastUpdate`, so it is never counted twice, and a 429 of the event that lowered it is not
	 * counted again. This process's explicit maximum still holds.
	 */
	restore(state: RateState, shift = 0): void {
		const at = (time: number | null): number => (time === null ? -Infinity : time - shift);
		this.rate = Math.max(this.floor, Math.min(this.max, state.rate));
		this.ceiling = state.ceiling ?? undefined;
		this.measured = state.measured;
		this.lastLoss = at(state.lastLoss);
		this.lastSlowStartStep = at(state.lastSlowStartStep);
		this.lastUpdate = state.lastUpdate - shift;
		this.lastDecrease = at(state.lastDecrease);
		this.resumedAt = state.resumedAt === null ? undefined : state.resumedAt - shift;
		this.clearedAt = at(state.clearedAt);
		this.burst = state.burst;
		this.foundAfterPause = state.foundAfterPause;
		this.firstEventAt = state.firstEventAt === null ? undefined : state.firstEventAt - shift;
	}

	/** A later run's explicit maximum wins (the user edited it); what was learned is kept under it. */
	setMax(max: number): void {
		this.max = max;
		this.rate = Math.min(this.rate, max);
	}

	/**
	 * The system announces its sustained rate (a `RateLimit-Policy`): pace at `rate` (just under it),
	 * above the current rate too, and treat it as a measured ceiling.
	 */
	adopt(rate: number): void {
		this.ceiling = rate;
		this.measured = true;
		this.rate = Math.max(this.floor, Math.min(this.max, rate));
	}

	/** After a quiet spell the system's limit may have changed: what was learned becomes a guess. */
	relaxIfQuiet(now: number): void {
		if (now - Math.max(this.lastUpdate, this.lastLoss) < QUIET_MS) return;
		this.measured = false;
		this.lastUpdate = now;
	}

	/** `rateBound`: requests were waiting for the rate (not for concurrency or for work) just now. */
	onAccepted(now: number, rateBound = true): void {
		this.accepted.push(now);
		dropBefore(this.accepted, now - WINDOW_MS);
		const seconds = Math.max(0, now - this.lastUpdate) / 1000;
		this.lastUpdate = now;
		if (!rateBound || this.rate >= this.max) return;
		let next: number;
		if (this.ceiling === undefined) {
			next = this.rate * 2 ** ((seconds * 1000) / SLOW_START_DOUBLING_MS);
			if (seconds > 0) this.lastSlowStartStep = now;
		} else if (
			this.rate < this.ceiling * BELOW_CEILING ||
			(!this.measured &&
				now - Math.max(this.lastLoss, this.resumedAt ?? -Infinity) >= GUESS_HOLD_MS)
		)
			next = this.rate * (1 + FAST_CLIMB_PER_SECOND * seconds);
		else next = this.rate + this.ceiling * PROBE_PER_SECOND * seconds;
		this.rate = Math.min(this.max, next);
	}

	/** `sentAt`: when the request that got the 429 was sent. */
	onRateLimited(now: number, sentAt: number): void {
		// One decrease per event: 429s for requests sent before the last decrease took effect (the
		// system's own bucket needs a moment to refill at the lower rate) change nothing more.
		if (sentAt < this.lastDecrease + EVENT_MS) return;
		dropBefore(this.accepted, now - WINDOW_MS);
		this.lastDecrease = now;
		this.lastLoss = now;
		this.lastUpdate = now;
		const sliding = this.acceptingRate();
		/** Whether the decrease below rests on a measurement or on a fixed fraction of the rate. */
		let fromMeasurement = sliding !== undefined;
		if (sliding === undefined && this.resumedAt === undefined && this.burst === 0)
			this.burst = this.accepted.length;
		let measured: number;
		// How far under the ceiling to land: just under an accurate measurement (with Retry-After
		// every 429 costs a pause); further under one that reads our own pace.
		let landAt = AFTER_SLIDING;
		this.firstEventAt ??= now;
		const searching = !this.foundAfterPause && now - this.firstEventAt < SEARCH_MS;
		if (this.sinceResume(now) && searching) {
			// Soon after a pause, while the limit is being found (the first seconds after the first
			// 429), the window reads our own pace (the system's refilled burst covered it): only the
			// burst-discounted measurement says something. It assumes we sent above the limit since
			// the pause, so once it has set the ceiling, or the search is over, it is not used again:
			// a later 429 after a pause is the limit's edge or a bunch of arrivals (n8n's request path
			// bunches them), and (accepted − burst) ÷ time would read far below the limit. It is a
			// few answers over a short span, so one event lowers the rate by at most a fifth.
			const sinceResume = this.rateSinceResume(now);
			const bound = this.rate * MAX_DECREASE;
			if (sinceResume !== undefined && sinceResume >= bound) {
				landAt = AFTER_MEASURED;
				this.foundAfterPause = true;
			}
			fromMeasurement = sinceResume !== undefined && sinceResume >= bound;
			measured = Math.max(sinceResume ?? 0, bound);
		} else if (this.ceiling === undefined && now - this.lastSlowStartStep <= WINDOW_MS) {
			// Leaving slow start. The last second's answers rode on the system's full bucket as our
			// rate crossed its limit (they read the limit plus its burst: 90 % of them), but part of
			// that second may have been below the limit: a guess, climbed past unless it holds.
			const lastSecond = this.acceptedSince(now - SLOW_START_WINDOW_MS);
			fromMeasurement = false;
			measured =
				lastSecond >= MIN_SAMPLES
					? (lastSecond * 1000 * SLOW_START_EXIT) / SLOW_START_WINDOW_MS
					: this.rate * UNMEASURED_DECREASE; // nothing to measure: TCP's halving
		} else if (this.ceiling === undefined) {
			measured = sliding ?? this.rate * UNMEASURED_DECREASE; // nothing known yet: TCP's halving
		} else if (searching || this.accepted.length === 0) {
			// Still searching, or nothing gets through: the measurement, or a fifth.
			measured = sliding ?? this.rate * MAX_DECREASE;
		} else {
			// Past the search, at the limit's edge: a 429 is the edge itself or a bunch of arrivals
			// after a stall of n8n's request path (whose window then reads our stall, not the
			// system's rate). One event lowers the rate by a tenth at most.
			measured = Math.max(sliding ?? this.rate, this.rate * EDGE_DECREASE);
		}
		// Never learn a ceiling above what we were sending: the measurement includes the burst.
		this.ceiling = Math.max(this.floor, Math.min(measured, this.rate));
		this.measured = fromMeasurement;
		this.rate = Math.max(this.floor, this.ceiling * landAt);
	}

	/**
	 * The whole system paused (a Retry-After) at `now` until `resumesAt`: answers from before say
	 * nothing about the rate after.
	 */
	onPaused(now: number, resumesAt?: number): void {
		this.accepted.length = 0;
		this.clearedAt = now;
		this.resumedAt = resumesAt;
	}

	/**
	 * The answers the system accepted lately from every process that shares its limit (the store's
	 * record, in this clock), in place of this process's own: with several workers each sees only
	 * its share, and a 429 measured on a share would set the shared rate to that share.
	 */
	useAccepted(times: readonly number[]): void {
		this.accepted.length = 0;
		for (const at of times) if (at >= this.clearedAt) this.accepted.push(at);
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

	private acceptedSince(time: number): number {
		return this.accepted.filter((at) => at >= time).length;
	}

	/** Accepted answers per second, from the first to the last in the window. */
	private acceptingRate(): number | undefined {
		const n = this.accepted.length;
		if (n < MIN_SAMPLES) return undefined;
		const span = this.accepted[n - 1] - this.accepted[0];
		if (span < MIN_SPAN_MS) return undefined;
		return ((n - 1) * 1000) / span;
	}
}
