/**
 * How many requests a system takes at once, discovered rather than configured (DESIGN §4), in two
 * ways:
 *
 * - Latency (Netflix `concurrency-limits`, Gradient2, after TCP Vegas): while answers come as fast
 *   as the system's unloaded latency, the limit grows; when latency climbs with concurrency — the
 *   system is queueing — it shrinks:
 *     gradient = max(0.5, min(1, tolerance × longRtt ÷ shortRtt))
 *     limit    = (1 − smoothing) × limit + smoothing × (limit × gradient + √limit)
 *   It grows only while requests use it (in flight ≥ half the limit): a limit nobody uses proves
 *   nothing.
 * - Overload that names concurrency ("too many concurrent requests", a 429 or 503): the requests in
 *   flight when the refused one went were one too many, so the limit — and a ceiling for the growth
 *   above — becomes that count less one. The ceiling is probed one higher after half a minute of
 *   clean answers at it (each probe may cost a Retry-After pause of the whole system), and after a
 *   quiet spell it is forgotten.
 */
import { QUIET_MS } from './adaptiveRate';

const TOLERANCE = 1.5;
const SMOOTHING = 0.2;
const MIN_GRADIENT = 0.5;
/** The long-term RTT follows the short one this slowly (an exponential average over ~600 answers). */
const LONG_RTT_WEIGHT = 2 / (600 + 1);
const SHORT_RTT_WEIGHT = 2 / (10 + 1);
/** Clean time at the ceiling before it is probed one higher. */
export const CEILING_PROBE_MS = 30_000;

export class AdaptiveConcurrency {
	private limit: number;
	private ceiling: number | undefined;
	private ceilingSince = 0;
	private longRtt: number | undefined;
	private shortRtt: number | undefined;
	private lastOverload = -Infinity;

	/**
	 * `start`: the limit to begin with; `max`: an explicit ceiling (the user's Max Concurrency).
	 * `learned`: what an earlier run taught, if any.
	 */
	constructor(
		start: number,
		private max: number,
		now: number,
		learned?: { concurrency: number; concurrencyCeiling?: number; at: number },
	) {
		this.limit = Math.max(1, Math.min(max, learned?.concurrency ?? start));
		if (learned?.concurrencyCeiling !== undefined && now - learned.at < QUIET_MS) {
			this.ceiling = learned.concurrencyCeiling;
			this.ceilingSince = now;
			this.lastOverload = learned.at;
		}
	}

	/** Requests allowed in flight now. */
	get value(): number {
		return Math.max(1, Math.floor(Math.min(this.limit, this.max, this.ceiling ?? Infinity)));
	}

	/** The in-flight count above which the system said "too many concurrent requests". */
	get learnedCeiling(): number | undefined {
		return this.ceiling;
	}

	setMax(max: number): void {
		this.max = max;
		this.limit = Math.min(this.limit, max);
	}

	/** After a quiet spell the system's capacity may have changed: the ceiling is forgotten. */
	relaxIfQuiet(now: number): void {
		if (this.ceiling !== undefined && now - this.lastOverload >= QUIET_MS) this.ceiling = undefined;
	}

	/** An answer the system gave (not an overload): `rttMs` its latency, `inFlight` when it was sent. */
	onAnswer(now: number, rttMs: number, inFlight: number): void {
		const rtt = Math.max(rttMs, 0.001);
		this.shortRtt =
			this.shortRtt === undefined ? rtt : this.shortRtt + SHORT_RTT_WEIGHT * (rtt - this.shortRtt);
		this.longRtt =
			this.longRtt === undefined ? rtt : this.longRtt + LONG_RTT_WEIGHT * (rtt - this.longRtt);
		// Gradient2's drift guard: after a long spell of slow answers the long-term RTT catches up.
		if (this.longRtt / this.shortRtt > 2) this.longRtt *= 0.95;

		if (this.ceiling !== undefined && inFlight >= this.ceiling) {
			if (now - this.ceilingSince >= CEILING_PROBE_MS) {
				this.ceiling = Math.min(this.max, this.ceiling + 1);
				this.ceilingSince = now;
			}
		} else if (this.ceiling !== undefined) this.ceilingSince = now;

		if (inFlight < this.limit / 2) return; // the limit is not in use: nothing to learn
		const gradient = Math.max(
			MIN_GRADIENT,
			Math.min(1, (TOLERANCE * this.longRtt) / this.shortRtt),
		);
		const target = this.limit * gradient + Math.sqrt(this.limit);
		const next = (1 - SMOOTHING) * this.limit + SMOOTHING * target;
		this.limit = Math.max(1, Math.min(this.max, this.ceiling ?? Infinity, next));
	}

	/** The system said "too many concurrent requests" to a request sent with `inFlight` in flight (itself included). */
	onConcurrencyOverload(now: number, inFlight: number): void {
		const ceiling = Math.max(1, Math.min(this.ceiling ?? Infinity, inFlight - 1));
		if (ceiling !== this.ceiling) this.ceilingSince = now;
		this.ceiling = ceiling;
		this.lastOverload = now;
		this.limit = Math.min(this.limit, ceiling);
	}
}
