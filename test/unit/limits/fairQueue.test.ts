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
	it('serves runs in turn, each in its own order', () => {
		const log: string[] = [];
		const queue = new FairQueue<string>();
		for (const label of ['b1', 'b2', 'b3']) queue.push(waiter('big', label, log));
		queue.push(waiter('small', 's1', log));
		const order: string[] = [];
		for (let w = queue.next(); w; w = queue.next()) {
			w.resolve('go');
			order.push(log.at(-1) ?? '');
		}
		expect(order).toEqual(['b1:go', 's1:go', 'b2:go', 'b3:go']);
		expect(queue.isEmpty).toBe(true);
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
