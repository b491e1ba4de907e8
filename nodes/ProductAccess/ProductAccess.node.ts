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

/** Product Access: remove one user per item, through the shared engine and limiters. */
export class ProductAccess implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Product Access',
		name: 'productAccess',
		icon: 'file:../../icons/offboarding.svg',
		group: ['transform'],
		version: 1,
		subtitle: '={{$parameter["operation"] + ": " + $parameter["resource"]}}',
		description: toolDescription('productAccess'),
		defaults: { name: 'Product Access' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		usableAsTool: true,
		credentials: [
			{ name: 'productAccessApi', required: true, testedBy: 'productAccessCredentialTest' },
			{
				name: 'sharedLimitsRedisApi',
				required: true,
				displayOptions: REDIS_CREDENTIAL.displayOptions,
				testedBy: 'sharedLimitsRedisTest',
			},
		],
		properties: systemNodeProperties('productAccess'),
	};

	methods = {
		credentialTest: {
			productAccessCredentialTest: credentialTests.productAccessCredentialTest,
			sharedLimitsRedisTest,
		},
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await executeSystemNode.call(this, 'productAccess');
	}
}
