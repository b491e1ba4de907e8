/** Plans for the five sandbox systems: demo scopes fixed, credential placement for dry runs. */
import type { CredentialPlacement } from '../../src/engine/offboard';
import type { PlanConfig, SystemPlan } from '../../src/engine/plan';
import { SYSTEMS, SEED_SYSTEM_IDS, type SeedSystemId } from '../../src/systems';
import { DEMO_CREDENTIALS, DEMO_SCOPES, type Sandbox } from '../../sandbox';

export function sandboxPlan(
	sandbox: Sandbox,
	systems: readonly SeedSystemId[] = SEED_SYSTEM_IDS,
	extra: Partial<PlanConfig> = {},
): PlanConfig {
	const plans: SystemPlan[] = systems.map((id) => ({
		system: SYSTEMS[id],
		baseUrl: sandbox.baseUrls[id],
		scopes: Object.fromEntries(
			Object.entries(DEMO_SCOPES[id]).map(([key, value]) => [key, { fixed: [value] }]),
		),
		...(id === 'mudbase' ? { ownAccountIds: [DEMO_CREDENTIALS.mudbase.accountId] } : {}),
	}));
	return { systems: plans, ...extra };
}

export const SANDBOX_PLACEMENT: Partial<Record<SeedSystemId, CredentialPlacement>> = {
	productAccess: { header: 'authorization' },
	productBridge: { bodyField: 'api_key' },
	ejento: { header: 'authorization' },
	flashback: { header: 'authorization' },
	mudbase: { header: 'authorization' },
};

export { CSV_COLUMNS, leaversCsv } from '../../sandbox';

export async function* bytesOf(text: string): AsyncGenerator<Uint8Array> {
	yield Buffer.from(text, 'utf8');
}
