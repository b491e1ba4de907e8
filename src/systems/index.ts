/**
 * The registry: every system the package knows, and the one list its id type derives from. Adding
 * a system is its definition here, its credential and its node folder (STYLE "Habits").
 */
import { ejento } from './ejento';
import { flashback } from './flashback';
import { mudbase } from './mudbase';
import { productAccess } from './productAccess';
import { productBridge } from './productBridge';
import { custom } from './custom';
import { scim } from './scim';
import type { SystemDefinition } from './types';

/** The five seed systems (emulated in `sandbox/`), then the generic kinds: SCIM 2.0, Custom HTTP. */
export const SYSTEM_IDS = [
	'productAccess',
	'productBridge',
	'ejento',
	'flashback',
	'mudbase',
	'scim',
	'custom',
] as const;

export type SystemId = (typeof SYSTEM_IDS)[number];

/** The systems with an emulator in `sandbox/` and demo data: what the sandbox tables iterate. */
export const SEED_SYSTEM_IDS = [
	'productAccess',
	'productBridge',
	'ejento',
	'flashback',
	'mudbase',
] as const satisfies readonly SystemId[];

export type SeedSystemId = (typeof SEED_SYSTEM_IDS)[number];

export const SYSTEMS: Readonly<Record<SystemId, SystemDefinition>> = {
	productAccess,
	productBridge,
	ejento,
	flashback,
	mudbase,
	scim,
	custom,
};

export { buildRemovalRequest, normalizeBaseUrl } from './request';
export type { RemovalRequest } from './request';
export { classifyResponse, vendorMessage } from './classify';
export { checkId, MAX_ID_LENGTH } from './ids';
export type * from './types';
