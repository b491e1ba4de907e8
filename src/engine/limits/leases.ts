/**
 * The concurrency part: requests in flight as leases with an expiry (after Google's Doorman and
 * `redis-semaphore`), so a slot held by a process that died comes back by itself.
 */

/** Lease id → when it expires (ms, the store's clock). */
export type LeaseState = Map<string, number>;

/** Forgets expired leases; returns how many are held. */
export function heldLeases(leases: LeaseState, now: number): number {
	for (const [id, expiresAt] of leases) if (expiresAt <= now) leases.delete(id);
	return leases.size;
}

/** Takes a lease when fewer than `limit` are held. */
export function acquireLease(
	leases: LeaseState,
	now: number,
	limit: number,
	id: string,
	ttlMs: number,
): boolean {
	if (heldLeases(leases, now) >= limit) return false;
	leases.set(id, now + ttlMs);
	return true;
}

export function releaseLease(leases: LeaseState, id: string): void {
	leases.delete(id);
}
