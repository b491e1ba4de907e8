/**
 * Realistic run timelines for the HTML report's tests and size measurement, simulated rather than
 * written out: a limiter that starts slow, doubles while answers are clean, meets a 429 (a pause of
 * Retry-After seconds, rate halved, ceiling learned just under the server's capacity), then climbs
 * by one a second and settles at the ceiling. Overload 503s and open circuits where asked.
 */
import type { RunTimeline, SystemTimeline, TimelineSecond } from '../../src/engine/timeline';

export interface SimulatedSystem {
	system: string;
	name: string;
	/** Requests per second the server accepts; more get 429s. */
	capacity: number;
	durationS: number;
	/** Retry-After of every 429 and overload 503 (seconds). */
	retryAfterS?: number;
	/** Seconds in which the server answers half the requests with an overload 503. */
	overloadAt?: readonly number[];
	/** Open circuits: nothing is sent from `from` to `to`. */
	circuits?: ReadonlyArray<{ from: number; to: number }>;
}

export function simulateSystem(sim: SimulatedSystem): SystemTimeline {
	const retryAfter = sim.retryAfterS ?? 3;
	const seconds: TimelineSecond[] = [];
	const spans: SystemTimeline['spans'] = (sim.circuits ?? []).map(({ from, to }) => ({
		kind: 'circuit' as const,
		from,
		to,
		reason: '5 consecutive 500 answers: circuit open until the probe',
	}));
	let rate = 2;
	let ceiling = Number.POSITIVE_INFINITY;
	let slowStart = true;
	let t = 0;
	while (t < sim.durationS) {
		const circuit = sim.circuits?.find((c) => t >= c.from && t < c.to);
		if (circuit) {
			t = circuit.to;
			continue;
		}
		const sent = Math.floor(rate);
		const overloaded = sim.overloadAt?.includes(t) ?? false;
		if (sent > sim.capacity || overloaded) {
			const accepted = overloaded ? Math.floor(sent / 2) : sim.capacity;
			if (!overloaded) ceiling = sim.capacity - 1;
			slowStart = false;
			rate = Math.max(1, Math.floor(rate / 2));
			seconds.push({
				t,
				accepted,
				rateLimited: overloaded ? 0 : sent - accepted,
				overloaded: overloaded ? sent - accepted : 0,
				transportErrors: 0,
				rate,
				concurrency: Math.ceil(rate / 2),
			});
			const from = t + 0.5;
			spans.push({
				kind: 'pause',
				from,
				to: from + retryAfter,
				reason: `${overloaded ? '503' : '429'} with Retry-After: ${retryAfter}`,
			});
			t = Math.ceil(from + retryAfter);
			continue;
		}
		rate = Math.min(slowStart ? rate * 2 : rate + 1, ceiling);
		seconds.push({
			t,
			accepted: sent,
			rateLimited: 0,
			overloaded: 0,
			transportErrors: 0,
			rate,
			concurrency: Math.ceil(rate / 2),
		});
		t++;
	}
	spans.sort((a, b) => a.from - b.from);
	const total = seconds.reduce((n, s) => n + s.accepted, 0);
	return { system: sim.system, name: sim.name, total, done: total, seconds, spans };
}

export function runTimeline(durationS: number, systems: readonly SystemTimeline[]): RunTimeline {
	return { startedAt: '2026-11-30T02:00:00.000Z', durationS, systems: [...systems] };
}

/**
 * A minute of a nightly run over three systems: Flashback meets a 429 and pauses, Slack (a SCIM
 * app) gets an overload 503, Mudbase's circuit opens for ten seconds.
 */
export function minuteOfRun(): RunTimeline {
	return runTimeline(60, [
		simulateSystem({ system: 'flashback', name: 'Flashback', capacity: 12, durationS: 60 }),
		simulateSystem({
			system: 'scim',
			name: 'Slack',
			capacity: 20,
			durationS: 60,
			overloadAt: [30],
			retryAfterS: 5,
		}),
		simulateSystem({
			system: 'mudbase',
			name: 'Mudbase',
			capacity: 8,
			durationS: 60,
			circuits: [{ from: 40, to: 50 }],
		}),
	]);
}
