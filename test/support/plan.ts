import type { PlanConfig, PlanStep, SystemPlan } from '../../src/engine/plan';
import { planRows } from '../../src/engine/plan';
import type { InputRow, PersonRow } from '../../src/engine/rows';
import { SYSTEMS, type SeedSystemId } from '../../src/systems';

export const FIXED_SCOPES: Record<SeedSystemId, SystemPlan['scopes']> = {
	productAccess: { productId: { fixed: ['p1'] } },
	productBridge: {},
	ejento: { projectId: { fixed: ['151'] } },
	flashback: { workspaceId: { fixed: ['ws1'] } },
	mudbase: { projectId: { fixed: ['proj'] }, chatId: { fixed: ['chat'] } },
};

export function systemPlan(system: SeedSystemId, overrides: Partial<SystemPlan> = {}): SystemPlan {
	return {
		system: SYSTEMS[system],
		baseUrl: `https://${system.toLowerCase()}.test`,
		scopes: FIXED_SCOPES[system],
		...overrides,
	};
}

export function person(row: number, fields: Record<string, unknown>, error?: string): PersonRow {
	return { kind: 'person', row, fields, ...(error ? { error } : {}) };
}

export async function plan(rows: InputRow[], config: PlanConfig): Promise<PlanStep[]> {
	const steps: PlanStep[] = [];
	for await (const step of planRows(rows, config)) steps.push(step);
	return steps;
}

/** [row, system, scope, userId, status|'send', kind?] per step, for exact comparisons. */
export function summary(
	steps: PlanStep[],
): Array<[number, string, Record<string, string>, string, string, string?]> {
	return steps.map((s) =>
		s.kind === 'send'
			? [s.pair.row, s.pair.system, { ...s.pair.scope }, s.pair.userId, 'send']
			: [
					s.outcome.row,
					s.outcome.system,
					{ ...s.outcome.scope },
					s.outcome.userId,
					s.outcome.status,
					s.outcome.kind,
				],
	);
}
