/**
 * A removal budget per credential for the per-system nodes used as AI tools: each tool call is its
 * own run, so the batch threshold never sees them; this sliding one-hour window does, in the limit
 * store — the process's, or Redis shared by every worker (`LimitStore.takeBudget`).
 */
import type { LimitStore } from '../engine/limits/store';

const WINDOW_MS = 3_600_000;

export type BudgetCheck = { ok: true } | { ok: false; reason: string };

/** Takes `count` removals from the budget of `key`, or refuses (taking nothing). */
export async function takeToolBudget(
	store: LimitStore,
	key: string,
	count: number,
	perHour: number,
): Promise<BudgetCheck> {
	const answer = await store.takeBudget(`tool-budget:${key}`, count, perHour, WINDOW_MS);
	if (answer.taken) return { ok: true };
	const next = answer.used > 0 ? new Date(answer.freesAt).toISOString() : 'now';
	return {
		ok: false,
		reason: `Tool removal budget reached: ${answer.used} of ${perHour} removals used in the last hour with this credential (this call asks for ${count}). Nothing was sent; the budget frees up from ${next}.`,
	};
}
