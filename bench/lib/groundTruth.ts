/** What an emulator saw, counted from its own request log and membership: the ground truth. */
import { maxInWindow } from '../../e2e/queueWorkload';
import type { RecordedRequest, Sandbox } from '../../sandbox';
import type { SeedSystemId } from '../../src/systems';

export interface Truth {
	/** Users of `userIds` no longer members. */
	removed: number;
	/** Removal requests received (every DELETE / delete POST, 429s included). */
	requests: number;
	rateLimited: number;
	/** Refused by a concurrency cap. */
	capped: number;
	/** Requests for a user an earlier request had already removed. */
	duplicates: number;
}

/** The user a removal request was about: the body's id field, else the path's last segment. */
export function userOf(record: RecordedRequest): string {
	if (record.body) {
		try {
			const body = JSON.parse(record.body) as { userId?: unknown; user_id?: unknown };
			const id = body.userId ?? body.user_id;
			if (typeof id === 'string') return id;
		} catch {
			// not JSON: the id is in the path
		}
	}
	const path = record.rawUrl.split('?')[0];
	return decodeURIComponent(path.slice(path.lastIndexOf('/') + 1));
}

/** `requests`: an emulator's removal requests; `isMember`: its membership now. */
export function truthOf(
	requests: readonly RecordedRequest[],
	isMember: (userId: string) => boolean,
	userIds: readonly string[],
): Truth {
	const removedAlready = new Set<string>();
	let duplicates = 0;
	let rateLimited = 0;
	let capped = 0;
	for (const request of requests) {
		if (request.rateLimited) rateLimited++;
		if (request.capped) capped++;
		const user = userOf(request);
		if (removedAlready.has(user)) duplicates++;
		if (request.acted) removedAlready.add(user);
	}
	return {
		removed: userIds.filter((id) => !isMember(id)).length,
		requests: requests.length,
		rateLimited,
		capped,
		duplicates,
	};
}

export function sandboxTruth(
	sandbox: Sandbox,
	system: SeedSystemId,
	userIds: readonly string[],
): Truth {
	return truthOf(
		sandbox[system].removalRequests(),
		(id) => sandbox.isDemoMember(system, id),
		userIds,
	);
}

/**
 * What the emulator accepted per `bucketMs`, from its first request: "20 20 19 8× 20 …" (× marks a
 * bucket with 429s). A request timeline in one line, to see where a run lost time.
 */
export function timeline(requests: readonly RecordedRequest[], bucketMs = 5_000): string {
	if (requests.length === 0) return '';
	const start = requests[0].at;
	const accepted: number[] = [];
	const limited: number[] = [];
	for (const r of requests) {
		const b = Math.floor((r.at - start) / bucketMs);
		while (accepted.length <= b) {
			accepted.push(0);
			limited.push(0);
		}
		if (r.rateLimited) limited[b]++;
		else accepted[b]++;
	}
	const perSecond = 1000 / bucketMs;
	return accepted
		.map((n, i) => `${(n * perSecond).toFixed(0)}${limited[i] ? `(${limited[i]}×429)` : ''}`)
		.join(' ');
}

/** The most requests that arrived within any `windowMs`, ignoring the first `skipMs` (start-up). */
export function densest(
	requests: readonly RecordedRequest[],
	windowMs: number,
	skipMs: number,
): number {
	if (requests.length === 0) return 0;
	const times = requests.map((r) => r.at).filter((t) => t >= requests[0].at + skipMs);
	return maxInWindow(times, windowMs);
}

/** 429 events: 429s more than `gapMs` after the previous one start a new event (one pause each). */
export function rateLimitEvents(requests: readonly RecordedRequest[], gapMs = 1_000): number {
	let events = 0;
	let last = -Infinity;
	for (const r of requests) {
		if (!r.rateLimited) continue;
		if (r.at - last > gapMs) events++;
		last = r.at;
	}
	return events;
}

/** Requests accepted in the first `ms` of the run (from its first request). */
export function acceptedWithin(requests: readonly RecordedRequest[], ms: number): number {
	if (requests.length === 0) return 0;
	const end = requests[0].at + ms;
	return requests.filter((r) => !r.rateLimited && r.at < end).length;
}

/**
 * Requests in flight at the emulator (from `at` to `answeredAt`): the most at any moment, and the
 * most within each `bucketMs` from the first request ("1 2 4 8 …": how a client's concurrency grew).
 */
export function inFlight(
	requests: readonly RecordedRequest[],
	bucketMs = 1_000,
): { peak: number; timeline: string } {
	const answered = requests.filter((r) => r.answeredAt !== undefined);
	if (answered.length === 0) return { peak: 0, timeline: '' };
	const start = answered[0].at;
	// An answer sent in the same millisecond as the next request arrives frees its slot first.
	const events = answered
		.flatMap((r) => [
			{ at: r.at, delta: 1 },
			{ at: r.answeredAt as number, delta: -1 },
		])
		.sort((a, b) => a.at - b.at || a.delta - b.delta);
	const perBucket: number[] = [];
	let now = 0;
	let peak = 0;
	for (const event of events) {
		const b = Math.floor((event.at - start) / bucketMs);
		// Requests still in flight when a bucket begins are in flight in it.
		while (perBucket.length <= b) perBucket.push(now);
		now += event.delta;
		peak = Math.max(peak, now);
		perBucket[b] = Math.max(perBucket[b], now);
	}
	return { peak, timeline: perBucket.join(' ') };
}

/** Removals that took effect per second, from the first request to the last answer. */
export function removalsPerSecond(requests: readonly RecordedRequest[]): number {
	const acted = requests.filter((r) => r.acted).length;
	const answers = requests.map((r) => r.answeredAt ?? r.at);
	if (requests.length === 0) return NaN;
	const spanMs = Math.max(...answers) - requests[0].at;
	return spanMs > 0 ? acted / (spanMs / 1000) : NaN;
}
