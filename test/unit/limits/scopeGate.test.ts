import { ScopeGate } from '../../../src/engine/scopeGate';

describe('ScopeGate', () => {
	it('lets the first pair of a scope probe it alone; a wrong-scope answer fails the rest', async () => {
		const gate = new ScopeGate();
		expect(await gate.enter('pa:p1')).toEqual({ kind: 'probe' });
		const waiting = [gate.enter('pa:p1'), gate.enter('pa:p1')];
		expect(await gate.enter('pa:p2')).toEqual({ kind: 'probe' }); // another scope is not held up
		gate.settle('pa:p1', { kind: 'wrong', reason: 'Product not found' });
		expect(await Promise.all(waiting)).toEqual([
			{ kind: 'wrong', reason: 'Product not found' },
			{ kind: 'wrong', reason: 'Product not found' },
		]);
	});

	it('opens the scope to every pair on any answer that is not about the scope', async () => {
		const gate = new ScopeGate();
		await gate.enter('s');
		const waiting = gate.enter('s');
		gate.settle('s', { kind: 'open' });
		expect(await waiting).toEqual({ kind: 'open' });
		expect(await gate.enter('s')).toEqual({ kind: 'open' });
	});

	it('hands the probe to the next pair when the probe ended without an answer', async () => {
		const gate = new ScopeGate();
		await gate.enter('s');
		const next = gate.enter('s');
		const after = gate.enter('s');
		gate.settle('s', { kind: 'ended' });
		expect(await next).toEqual({ kind: 'probe' });
		gate.settle('s', { kind: 'open' });
		expect(await after).toEqual({ kind: 'open' });
	});

	it('stops waiting when the run is cancelled', async () => {
		const gate = new ScopeGate();
		await gate.enter('s');
		const controller = new AbortController();
		const waiting = gate.enter('s', controller.signal);
		controller.abort();
		await expect(waiting).rejects.toThrow('aborted');
	});
});
