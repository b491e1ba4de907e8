/** The benchmark's ground-truth counters, on hand-made request logs with known answers. */
import { inFlight, removalsPerSecond, truthOf } from '../../bench/lib/groundTruth';
import type { RecordedRequest } from '../../sandbox';

let seq = 0;
function request(
	at: number,
	answeredAt: number,
	extra: Partial<RecordedRequest> = {},
): RecordedRequest {
	seq++;
	return {
		seq,
		at,
		answeredAt,
		method: 'DELETE',
		rawUrl: `/workspace/ws/users/u${seq}`,
		headers: {},
		body: '',
		acted: true,
		...extra,
	};
}

describe('inFlight', () => {
	it('counts the most requests between arrival and answer, and the most per bucket', () => {
		const log = [
			request(0, 100),
			request(10, 60),
			request(20, 1_150), // still in flight through the second bucket
			request(1_100, 1_200),
			request(2_500, 2_550),
		];
		expect(inFlight(log)).toEqual({ peak: 3, timeline: '3 2 1' });
	});

	it('frees a slot before the next request of the same millisecond takes one', () => {
		expect(inFlight([request(0, 50), request(50, 100), request(100, 150)]).peak).toBe(1);
	});

	it('ignores requests never answered (a reset or a hang) and an empty log', () => {
		expect(inFlight([request(0, 50), { ...request(10, 0), answeredAt: undefined }]).peak).toBe(1);
		expect(inFlight([])).toEqual({ peak: 0, timeline: '' });
	});
});

it('removalsPerSecond counts removals that took effect over first request to last answer', () => {
	const log = [request(0, 50), request(50, 100, { acted: false, status: 503 }), request(100, 500)];
	expect(removalsPerSecond(log)).toBe(4); // 2 removals in 0.5 s
});

it('truthOf counts refusals by a concurrency cap apart from 429s', () => {
	const log = [
		request(0, 10, { rawUrl: '/u/a' }),
		request(0, 1, { rawUrl: '/u/b', acted: false, capped: true, status: 503 }),
		request(20, 30, { rawUrl: '/u/b' }),
		request(40, 41, { rawUrl: '/u/c', acted: false, rateLimited: true, status: 429 }),
		request(50, 60, { rawUrl: '/u/c' }),
		request(70, 80, { rawUrl: '/u/c', acted: false }), // after c was removed: a duplicate
	];
	expect(truthOf(log, () => false, ['a', 'b', 'c'])).toEqual({
		removed: 3,
		requests: 6,
		rateLimited: 1,
		capped: 1,
		duplicates: 1,
	});
});
