import { REDIS_CREDENTIAL } from '../shared/limitStore';
import {
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
	NodeConnectionTypes,
} from 'n8n-workflow';
import { sharedLimitsRedisTest } from '../../src/n8n/limitStore';
import { credentialTests } from '../../src/n8n/credentialTests';
import { executeSystemNode, systemNodeProperties, toolDescription } from '../shared/systemNode';

/** ProductBridge: remove one user per item, through the shared engine and limiters. */
export class ProductBridge implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'ProductBridge',
		name: 'productBridge',
		icon: 'file:../../icons/offboarding.svg',
		group: ['transform'],
		version: 1,
		subtitle: '={{$parameter["operation"] + ": " + $parameter["resource"]}}',
		description: toolDescription('productBridge'),
		defaults: { name: 'ProductBridge' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		usableAsTool: true,
		credentials: [
			{ name: 'productBridgeApi', required: true, testedBy: 'productBridgeCredentialTest' },
			{
				name: 'sharedLimitsRedisApi',
				required: true,
				displayOptions: REDIS_CREDENTIAL.displayOptions,
				testedBy: 'sharedLimitsRedisTest',
			},
		],
		properties: systemNodeProperties('productBridge'),
	};

	methods = {
		credentialTest: {
			productBridgeCredentialTest: credentialTests.productBridgeCredentialTest,
			sharedLimitsRedisTest,
		},
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await executeSystemNode.call(this, 'productBridge');
	}
}
