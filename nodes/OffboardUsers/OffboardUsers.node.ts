import {
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
	NodeConnectionTypes,
} from 'n8n-workflow';
import { credentialTests } from '../../src/n8n/credentialTests';
import { properties } from './description';
import { executeOffboarding } from './execute';

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
			'Remove leavers or GDPR erasure subjects from Product Access, ProductBridge, Ejento, Flashback and Mudbase, within each rate limit, with an audit report',
		defaults: { name: 'Offboard Users' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{
				name: 'productAccessApi',
				required: true,
				displayOptions: { show: { systems: ['productAccess'] } },
				testedBy: 'productAccessCredentialTest',
			},
			{
				name: 'productBridgeApi',
				required: true,
				displayOptions: { show: { systems: ['productBridge'] } },
				testedBy: 'productBridgeCredentialTest',
			},
			{
				name: 'ejentoApi',
				required: true,
				displayOptions: { show: { systems: ['ejento'] } },
				testedBy: 'ejentoCredentialTest',
			},
			{
				name: 'flashbackApi',
				required: true,
				displayOptions: { show: { systems: ['flashback'] } },
				testedBy: 'flashbackCredentialTest',
			},
			{
				name: 'mudbaseApi',
				required: true,
				displayOptions: { show: { systems: ['mudbase'] } },
				testedBy: 'mudbaseCredentialTest',
			},
		],
		properties,
	};

	methods = { credentialTest: credentialTests };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await executeOffboarding.call(this);
	}
}
