/**
 * What a run recorded over time, per system: the data behind the progress lines and the HTML
 * report's timeline (issue 17). Plain JSON, so it can travel in an n8n item.
 */
import type { Clock } from './clock';
import type { OutcomeStatus } from './outcome';

/** One second of one system's run (`t`: whole seconds since the run started). */
export interface TimelineSecond {
	t: number;
	/** Answers that were not a request to slow down (any status but 429 and overload 503). */
	accepted: number;
	/** 429 answers. */
	rateLimited: number;
	/** 503 answers asking to slow down (overload). */
	overloaded: number;
	/** Requests that got no answer (timeout, reset). */
	transportErrors: number;
	/** The limiter's rate (requests per second) at the end of this second. */
	rate: number;
	/** The limiter's concurrency limit at the end of this second. */
	concurrency: number;
}

/** A time the system was not sent to: a pause (Retry-After) or an open circuit. */
export interface TimelineSpan {
	kind: 'pause' | 'circuit';
	/** Seconds since the run started (fractions kept). */
	from: number;
	to: number;
	/** One sentence, e.g. "429 with Retry-After: 3". Never a secret. */
	reason: string;
}

export interface SystemTimeline {
	/** The system id (`flashback`, `scim`). */
	system: string;
	/** The app's name as the report shows it ("Flashback", "Slack"). */
	name: string;
	/** Pairs to send (planned) and pairs ended so far. */
	total: number;
	done: number;
	/** Only the seconds in which something happened or the rate changed; in time order. */
	seconds: TimelineSecond[];
	spans: TimelineSpan[];
}

export interface RunTimeline {
	/** ISO 8601. */
	startedAt: string;
	/** Seconds. */
	durationS: number;
	systems: SystemTimeline[];
}

/** What one answer was, as the timeline counts it. */
export type AnswerCount = 'accepted' | 'rateLimited' | 'overloaded' | 'transportErrors';

/** What the recorder reads from a system's limiter (`SystemLimiter` has these getters). */
export interface LimiterReading {
	readonly effectiveRate: number;
	readonly effectiveConcurrency: number;
	/** Epoch ms; in the past when the system is not paused. */
	readonly pausedUntilMs: number;
	/** Why the current (or last) pause was asked for. */
	readonly pauseReason: string | undefined;
}

/** One system now, for a progress line. Times are epoch ms. */
export interface SystemProgress {
	system: string;
	name: string;
	total: number;
	done: number;
	removed: number;
	notFound: number;
	failed: number;
	/** The credential's own account (Flashback refuses its self-removal). */
	skipped: number;
	/** A dry run's pairs. */
	wouldRemove: number;
	/** The limiter's rate and concurrency now (absent before the system's limiter is known). */
	ratePerSecond?: number;
	concurrency?: number;
	pause?: { until: number; reason: string };
	circuit?: { reason: string };
}

export interface RunProgress {
	/** Epoch ms. */
	startedAt: number;
	elapsedMs: number;
	systems: SystemProgress[];
}

/**
 * Why a listener is called: every `everyMs` of clock time (`tick`), when a system starts a pause or
 * its circuit opens, and once when the run ends (`done`) or stops (cancelled or failed: `stopped`).
 */
export type ProgressEvent = 'tick' | 'pause' | 'circuit' | 'done' | 'stopped';

export type ProgressListener = (progress: RunProgress, event: ProgressEvent) => void;

/** While someone listens, the limiters are sampled this often. */
const SAMPLE_EVERY_MS = 1_000;

/** Three decimals: a timeline read as JSON stays short. */
const round3 = (value: number): number => Math.round(value * 1000) / 1000;

/** A pause or circuit as recorded: epoch ms, `toMs` undefined while a circuit is still open. */
interface Span {
	kind: TimelineSpan['kind'];
	fromMs: number;
	toMs: number | undefined;
	reason: string;
}

/** A system's running record: its progress counts (as a progress line shows them), and more. */
interface SystemRecord
	extends Pick<
		SystemProgress,
		| 'system'
		| 'name'
		| 'total'
		| 'done'
		| 'removed'
		| 'notFound'
		| 'failed'
		| 'skipped'
		| 'wouldRemove'
	> {
	limiter: LimiterReading | undefined;
	seconds: TimelineSecond[];
	spans: Span[];
	/** The latest pause span, and the circuit span while it is open (no search per answer). */
	lastPause: Span | undefined;
	openCircuit: Span | undefined;
}

/**
 * Records a run as it goes, fed by the engine: answers counted into the current second of their
 * system, the limiter's rate and concurrency sampled on each answer and once a second while someone
 * listens, pause and circuit spans, outcomes. Only seconds in which something happened are kept, so
 * memory grows with the run's duration (a 100,000-pair run at 20/s: ~5,000 seconds), not its size.
 */
export class RunRecorder {
	private readonly systems = new Map<string, SystemRecord>();
	private readonly listeners = new Set<{ listener: ProgressListener; stop: AbortController }>();
	private endedAt: number | undefined;

	constructor(
		private readonly clock: Clock,
		systems: ReadonlyArray<{ system: string; name: string; total: number }>,
		readonly startedAt: number = clock.now(),
	) {
		for (const { system, name, total } of systems)
			this.systems.set(system, {
				system,
				name,
				total,
				done: 0,
				removed: 0,
				notFound: 0,
				failed: 0,
				skipped: 0,
				wouldRemove: 0,
				limiter: undefined,
				seconds: [],
				spans: [],
				lastPause: undefined,
				openCircuit: undefined,
			});
	}

	/** The system's limiter is known: its rate and concurrency are sampled from now on. */
	watch(system: string, limiter: LimiterReading): void {
		const record = this.systems.get(system);
		if (!record || record.limiter === limiter) return;
		record.limiter = limiter;
		this.sample(record, this.clock.now());
	}

	/** One answer (or a request that got none), after the limiter has seen it. */
	answered(system: string, count: AnswerCount): void {
		const record = this.systems.get(system);
		if (!record) return;
		const now = this.clock.now();
		this.secondOf(record, now)[count]++;
		this.sample(record, now);
		// An answer means the system is open again: a circuit that refused before has closed.
		this.closeCircuit(record, now);
		this.notePause(record, now);
	}

	/** A permit was refused (an open circuit): the system's pairs fail fast with `reason`. */
	refused(system: string, reason: string): void {
		const record = this.systems.get(system);
		if (!record || record.openCircuit) return;
		record.openCircuit = { kind: 'circuit', fromMs: this.clock.now(), toMs: undefined, reason };
		record.spans.push(record.openCircuit);
		this.notify('circuit');
	}

	/** A sent pair ended (its one outcome went out). */
	outcome(system: string, status: OutcomeStatus): void {
		const record = this.systems.get(system);
		if (!record) return;
		record.done++;
		if (status === 'removed') record.removed++;
		else if (status === 'not_found') record.notFound++;
		else if (status === 'failed') record.failed++;
		else if (status === 'skipped') record.skipped++;
		else if (status === 'would_remove') record.wouldRemove++;
	}

	/** The run ended: spans close, listeners hear it once and are let go. */
	end(how: 'done' | 'stopped'): void {
		if (this.endedAt !== undefined) return;
		const now = this.clock.now();
		for (const record of this.systems.values()) {
			this.sample(record, now);
			this.closeCircuit(record, now);
		}
		this.endedAt = now;
		this.notify(how);
		for (const entry of this.listeners) entry.stop.abort();
		this.listeners.clear();
	}

	get ended(): boolean {
		return this.endedAt !== undefined;
	}

	/**
	 * Calls `listener` every `everyMs` of clock time, at each pause or circuit start and once at the
	 * end; while it listens the limiters are sampled every second. Returns the unsubscribe function.
	 */
	onProgress(listener: ProgressListener, everyMs = 5_000): () => void {
		const stop = new AbortController();
		const entry = { listener, stop };
		if (this.endedAt !== undefined) return () => undefined;
		this.listeners.add(entry);
		void this.tick(entry, Math.max(1, everyMs));
		return () => {
			stop.abort();
			this.listeners.delete(entry);
		};
	}

	progress(): RunProgress {
		const now = this.endedAt ?? this.clock.now();
		return {
			startedAt: this.startedAt,
			elapsedMs: now - this.startedAt,
			systems: [...this.systems.values()].map((record) => {
				const pause = record.lastPause;
				const circuit = record.openCircuit;
				const limiter = record.limiter;
				return {
					system: record.system,
					name: record.name,
					total: record.total,
					done: record.done,
					removed: record.removed,
					notFound: record.notFound,
					failed: record.failed,
					skipped: record.skipped,
					wouldRemove: record.wouldRemove,
					...(limiter
						? {
								ratePerSecond: round3(limiter.effectiveRate),
								concurrency: limiter.effectiveConcurrency,
							}
						: {}),
					...(pause?.toMs !== undefined && pause.toMs > now && this.endedAt === undefined
						? { pause: { until: pause.toMs, reason: pause.reason } }
						: {}),
					...(circuit && this.endedAt === undefined ? { circuit: { reason: circuit.reason } } : {}),
				};
			}),
		};
	}

	/** What was recorded so far (a copy: plain JSON). */
	timeline(): RunTimeline {
		const now = this.endedAt ?? this.clock.now();
		const at = (ms: number): number => round3((ms - this.startedAt) / 1000);
		return {
			startedAt: new Date(this.startedAt).toISOString(),
			durationS: at(now),
			systems: [...this.systems.values()].map((record) => ({
				system: record.system,
				name: record.name,
				total: record.total,
				done: record.done,
				seconds: record.seconds.map((second) => ({ ...second })),
				spans: record.spans.map((span) => ({
					kind: span.kind,
					from: at(span.fromMs),
					// A pause ends when it was asked to, even if the run ended first.
					to: at(span.toMs ?? now),
					reason: span.reason,
				})),
			})),
		};
	}

	/** Samples every second and calls the listener every `everyMs`, until it is stopped. */
	private async tick(
		entry: { listener: ProgressListener; stop: AbortController },
		everyMs: number,
	): Promise<void> {
		const from = this.clock.now();
		let nextSample = from + SAMPLE_EVERY_MS;
		let nextCall = from + everyMs;
		while (!entry.stop.signal.aborted) {
			try {
				await this.clock.sleep(
					Math.min(nextSample, nextCall) - this.clock.now(),
					entry.stop.signal,
				);
			} catch {
				return; // unsubscribed, or the run ended
			}
			const now = this.clock.now();
			if (now >= nextSample) {
				nextSample += SAMPLE_EVERY_MS;
				for (const record of this.systems.values()) {
					this.sample(record, now);
					// A pause another run's answer asked for shows here, not on an answer of ours.
					this.notePause(record, now);
				}
			}
			if (now >= nextCall) {
				nextCall += everyMs;
				this.call(entry, 'tick');
			}
		}
	}

	private notify(event: ProgressEvent): void {
		for (const entry of this.listeners) this.call(entry, event);
	}

	private call(entry: { listener: ProgressListener }, event: ProgressEvent): void {
		try {
			entry.listener(this.progress(), event);
		} catch {
			// a listener's failure (a logger that throws) must not break the run
		}
	}

	private closeCircuit(record: SystemRecord, now: number): void {
		if (!record.openCircuit) return;
		record.openCircuit.toMs = now;
		record.openCircuit = undefined;
	}

	/** A pause the limiter holds now: a new span, or the current one made longer. */
	private notePause(record: SystemRecord, now: number): void {
		const limiter = record.limiter;
		if (!limiter || limiter.pausedUntilMs <= now) return;
		const current = record.lastPause;
		if (current?.toMs !== undefined && current.toMs > now) {
			current.toMs = Math.max(current.toMs, limiter.pausedUntilMs);
			return;
		}
		record.lastPause = {
			kind: 'pause',
			fromMs: now,
			toMs: limiter.pausedUntilMs,
			reason: limiter.pauseReason ?? 'the system asked to pause',
		};
		record.spans.push(record.lastPause);
		this.notify('pause');
	}

	private secondOf(record: SystemRecord, now: number): TimelineSecond {
		const t = Math.max(0, Math.floor((now - this.startedAt) / 1000));
		const last = record.seconds.at(-1);
		if (last?.t === t) return last;
		const second: TimelineSecond = {
			t,
			accepted: 0,
			rateLimited: 0,
			overloaded: 0,
			transportErrors: 0,
			rate: last?.rate ?? 0,
			concurrency: last?.concurrency ?? 0,
		};
		record.seconds.push(second);
		return second;
	}

	/** The limiter's rate and concurrency into the current second, if they changed (or it exists). */
	private sample(record: SystemRecord, now: number): void {
		const limiter = record.limiter;
		if (!limiter || this.endedAt !== undefined) return;
		const rate = round3(limiter.effectiveRate);
		const concurrency = limiter.effectiveConcurrency;
		const last = record.seconds.at(-1);
		const t = Math.max(0, Math.floor((now - this.startedAt) / 1000));
		if (last?.t !== t && last?.rate === rate && last.concurrency === concurrency) return;
		const second = this.secondOf(record, now);
		second.rate = rate;
		second.concurrency = concurrency;
	}
}
