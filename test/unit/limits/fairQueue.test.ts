import { FairQueue, type Waiter } from '../../../src/engine/limits/fairQueue';

function waiter(runId: string, label: string, log: string[]): Waiter<string> {
	return {
		runId,
		resolve: (value) => log.push(`${label}:${value}`),
		reject: (error) => log.push(`${label}!${error.message}`),
		cleanup: () => undefined,
	};
}

describe('fair queue', () => {
	it('serves runs in turn, each in its own order; a run that comes while another waits goes next', () => {
		const log: string[] = [];
		const queue = new FairQueue<string>();
		for (const label of ['b1', 'b2', 'b3']) queue.push(waiter('big', label, log));
		queue.push(waiter('small', 's1', log));
		queue.push(waiter('small', 's2', log));
		const order: string[] = [];
		for (let w = queue.next(); w; w = queue.next()) {
			w.resolve('go');
			order.push(log.at(-1) ?? '');
		}
		expect(order).toEqual(['s1:go', 'b1:go', 's2:go', 'b2:go', 'b3:go']);
		expect(queue.isEmpty).toBe(true);
	});

	it('a new run enters the round where it stands, with the turn of the run it goes before', () => {
		const log: string[] = [];
		const queue = new FairQueue<string>();
		for (const run of ['a', 'b', 'c'])
			for (let i = 1; i <= 3; i++) queue.push(waiter(run, `${run}${i}`, log), 0);
		const served = (now: number) => queue.next(now)?.runId;
		// Each came while the others waited: c, then b, then a (all since 0).
		expect([served(10), served(20)]).toEqual(['c', 'b']);
		// a is next, waiting since 0; d comes at 25 and goes before a, with a's turn (since 0).
		queue.push(waiter('d', 'd1', log), 25);
		expect(queue.nextTurnSince).toBe(0);
		expect([served(30), served(40), served(50), served(60), served(70)]).toEqual([
			'd',
			'a',
			'c',
			'b',
			'a',
		]);
		// d has nothing left: next is c, last served at 50.
		expect(queue.nextTurnSince).toBe(50);
	});

	it('takes out one run without touching the others', () => {
		const log: string[] = [];
		const queue = new FairQueue<string>();
		queue.push(waiter('a', 'a1', log));
		queue.push(waiter('b', 'b1', log));
		queue.push(waiter('a', 'a2', log));
		expect(queue.takeRun('a').map((w) => w.runId)).toEqual(['a', 'a']);
		expect(queue.next()?.runId).toBe('b');
		expect(queue.next()).toBeUndefined();
	});
});
