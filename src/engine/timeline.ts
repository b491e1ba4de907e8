/**
 * What a run recorded over time, per system: the data behind the progress lines and the HTML
 * report's timeline (issue 17). Plain JSON, so it can travel in an n8n item.
 */

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
