import { REDIS_CREDENTIAL } from '../shared/limitStore';
import {
	type INodeCredentialDescription,
	type ICredentialsDisplayOptions,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
	NodeConnectionTypes,
	type NodeParameterValue,
} from 'n8n-workflow';
import { sharedLimitsRedisTest } from '../../src/n8n/limitStore';
import { credentialTests } from '../../src/n8n/credentialTests';
import { CREDENTIAL_TYPES } from '../../src/n8n/systems';
import { SYSTEM_IDS, SYSTEMS } from '../../src/systems';
import type { SystemId } from '../../src/systems/types';
import { properties } from './description';
import { executeOffboarding } from './execute';

/**
 * A system's credential is asked for only when the system is selected. Said with `hide` on purpose:
 * n8n's editor takes a parameter that every credential's `show` depends on for the node's
 * "authentication" field (getMainAuthField) — it then hides Systems from the panel and offers every
 * credential type in each credential's list. `hide` when the system is not among those selected
 * means the same and leaves Systems where users expect it (checked in the editor, test/e2e).
 */
export function shownWhenSystemSelected(id: SystemId): ICredentialsDisplayOptions {
	// n8n-workflow's type for credential display options lists plain values only, but the same
	// displayParameter (with `_cnd` conditions) decides them in the editor and at run time.
	const notSelected = { _cnd: { not: id } } as unknown as NodeParameterValue;
	return { hide: { systems: [notSelected] } };
}

/**
 * One credential per system, shown when the system is selected, and n8n's Redis for Shared Limits.
 * A function call, not an array literal: the n8n lint rule that reads credential names cannot read
 * a spread inside the array (it crashes).
 */
function credentialsAskedFor(): INodeCredentialDescription[] {
	return [
		...SYSTEM_IDS.map((id) => ({
			name: CREDENTIAL_TYPES[id],
			displayName: `${SYSTEMS[id].displayName} Credential`,
			required: true,
			displayOptions: shownWhenSystemSelected(id),
			testedBy: `${id}CredentialTest`,
		})),
		REDIS_CREDENTIAL,
	];
}

// Not usable as an AI tool: a batch deletion must not be an agent's tool (DESIGN §5); the per-system
// nodes are, with a removal budget. n8n's type has no `usableAsTool: false`: leaving it out says no.
// eslint-disable-next-line @n8n/community-nodes/node-usable-as-tool -- see above; its autofix would add `usableAsTool: true`
export class OffboardUsers implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Offboard Users',
		name: 'offboardUsers',
		icon: 'file:../../icons/offboarding.svg',
		group: ['transform'],
		version: 1,
		subtitle: '={{$parameter["systems"].join(", ")}}',
		description:
			'Remove leavers or GDPR erasure subjects from Product Access, ProductBridge, Ejento, Flashback, Mudbase, SCIM 2.0 apps and custom HTTP systems, within each rate limit, with an audit report',
		defaults: { name: 'Offboard Users' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: credentialsAskedFor(),
		properties,
	};

	methods = { credentialTest: { ...credentialTests, sharedLimitsRedisTest } };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await executeOffboarding.call(this);
	}
}
