/**
 * A removal budget per credential for the per-system nodes used as AI tools: each tool call is its
 * own run, so the batch threshold never sees them; this sliding one-hour window does, process-wide.
 */
const WINDOW_MS = 3_600_000;
const spent = new Map<string, number[]>();

export type BudgetCheck = { ok: true } | { ok: false; reason: string };

/** Takes `count` removals from the budget of `key`, or refuses (taking nothing). */
export function takeToolBudget(
	key: string,
	count: number,
	perHour: number,
	now = Date.now(),
): BudgetCheck {
	const times = (spent.get(key) ?? []).filter((t) => t > now - WINDOW_MS);
	if (times.length + count > perHour) {
		spent.set(key, times);
		const next = times.length > 0 ? new Date(times[0] + WINDOW_MS).toISOString() : 'now';
		return {
			ok: false,
			reason: `Tool removal budget reached: ${times.length} of ${perHour} removals used in the last hour with this credential (this call asks for ${count}). Nothing was sent; the budget frees up from ${next}.`,
		};
	}
	for (let i = 0; i < count; i++) times.push(now);
	spent.set(key, times);
	return { ok: true };
}

/** For tests: forget every budget. */
export function resetToolBudgets(): void {
	spent.clear();
}
