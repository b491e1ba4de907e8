/** The five systems. Adding a sixth is one file here, one credential, one node folder. */
import { ejento } from './ejento';
import { flashback } from './flashback';
import { mudbase } from './mudbase';
import { productAccess } from './productAccess';
import { productBridge } from './productBridge';
import type { SystemDefinition, SystemId } from './types';

export const SYSTEMS: Readonly<Record<SystemId, SystemDefinition>> = {
	productAccess,
	productBridge,
	ejento,
	flashback,
	mudbase,
};

export const SYSTEM_IDS = Object.keys(SYSTEMS) as SystemId[];

export { buildRemovalRequest, normalizeBaseUrl } from './request';
export type { RemovalRequest } from './request';
export { classifyResponse, vendorMessage } from './classify';
export { checkId, MAX_ID_LENGTH } from './ids';
export type * from './types';
