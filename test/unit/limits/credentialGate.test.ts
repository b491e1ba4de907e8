import { CredentialGate } from '../../../src/engine/limits/credentialGate';

describe('credential gate', () => {
	it('lets one probe go alone, then opens on an answer that proves the credential', () => {
		const gate = new CredentialGate(false);
		expect(gate.dispatchLimit).toBe(1);
		expect(gate.onDispatch()).toBe(true);
		expect(gate.dispatchLimit).toBe(0);
		expect(gate.onAnswer('not_there', '404', true)).toEqual({ kind: 'ok' });
		expect(gate.dispatchLimit).toBe(Infinity);
		expect(gate.onDispatch()).toBe(false);
	});

	it('keeps probing after an answer that says nothing about the credential (a 429, a 503)', () => {
		const gate = new CredentialGate(false);
		gate.onDispatch();
		gate.onAnswer('overloaded', '503', true);
		expect(gate.dispatchLimit).toBe(1);
		gate.onDispatch();
		gate.onAnswer('rate_limited', '429', true);
		expect(gate.dispatchLimit).toBe(1);
	});

	it('refuses the credential on a 401 that is not refreshable, naming the answer', () => {
		const gate = new CredentialGate(false);
		gate.onDispatch();
		expect(gate.onAnswer('unauthorized', 'rejected (401)', true)).toEqual({
			kind: 'refused',
			reason: 'rejected (401)',
		});
		expect(gate.dispatchLimit).toBe(1); // the next run probes again
	});

	it('refreshable: a 401 closes the gate for one refreshing probe; two refused refreshes refuse it', () => {
		const gate = new CredentialGate(true);
		gate.onDispatch();
		gate.onAnswer('removed', '200', true);
		expect(gate.onAnswer('unauthorized', 'expired', false)).toEqual({ kind: 'retry-free' });
		expect(gate.dispatchLimit).toBe(1);
		const probe = gate.onDispatch();
		expect(gate.mayRefresh(probe)).toBe(true);
		expect(gate.onAnswer('unauthorized', 'expired', true)).toEqual({ kind: 'retry-free' });
		gate.onDispatch();
		expect(gate.onAnswer('unauthorized', 'expired', true)).toEqual({
			kind: 'refused',
			reason: 'expired (also after refreshing the credential)',
		});
	});
});
