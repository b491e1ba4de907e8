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

/** Mudbase: remove one user per item, through the shared engine and limiters. */
export class Mudbase implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Mudbase',
		name: 'mudbase',
		icon: 'file:../../icons/offboarding.svg',
		group: ['transform'],
		version: 1,
		subtitle: '={{$parameter["operation"] + ": " + $parameter["resource"]}}',
		description: toolDescription('mudbase'),
		defaults: { name: 'Mudbase' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		usableAsTool: true,
		credentials: [
			{ name: 'mudbaseApi', required: true, testedBy: 'mudbaseCredentialTest' },
			{
				name: 'sharedLimitsRedisApi',
				required: true,
				displayOptions: REDIS_CREDENTIAL.displayOptions,
				testedBy: 'sharedLimitsRedisTest',
			},
		],
		properties: systemNodeProperties('mudbase'),
	};

	methods = {
		credentialTest: {
			mudbaseCredentialTest: credentialTests.mudbaseCredentialTest,
			sharedLimitsRedisTest,
		},
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await executeSystemNode.call(this, 'mudbase');
	}
}
