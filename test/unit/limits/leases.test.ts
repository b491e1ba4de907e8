import { acquireLease, heldLeases, releaseLease } from '../../../src/engine/limits/leases';

describe('leases (the concurrency part)', () => {
	it('grants up to the limit, and again after a release', () => {
		const leases = new Map<string, number>();
		expect(acquireLease(leases, 0, 2, 'a', 1_000)).toBe(true);
		expect(acquireLease(leases, 0, 2, 'b', 1_000)).toBe(true);
		expect(acquireLease(leases, 0, 2, 'c', 1_000)).toBe(false);
		releaseLease(leases, 'a');
		expect(acquireLease(leases, 0, 2, 'c', 1_000)).toBe(true);
		expect([...leases.keys()]).toEqual(['b', 'c']);
	});

	it('gives back the slot of a holder that never released it once its lease expires', () => {
		const leases = new Map<string, number>();
		acquireLease(leases, 0, 1, 'dead-worker', 5_000);
		expect(acquireLease(leases, 4_999, 1, 'next', 5_000)).toBe(false);
		expect(heldLeases(leases, 5_000)).toBe(0);
		expect(acquireLease(leases, 5_000, 1, 'next', 5_000)).toBe(true);
	});
});
