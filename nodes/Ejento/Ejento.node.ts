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

/** Ejento: remove one user per item, through the shared engine and limiters. */
export class Ejento implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Ejento',
		name: 'ejento',
		icon: 'file:../../icons/offboarding.svg',
		group: ['transform'],
		version: 1,
		subtitle: '={{$parameter["operation"] + ": " + $parameter["resource"]}}',
		description: toolDescription('ejento'),
		defaults: { name: 'Ejento' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		usableAsTool: true,
		credentials: [
			{ name: 'ejentoApi', required: true, testedBy: 'ejentoCredentialTest' },
			{
				name: 'sharedLimitsRedisApi',
				required: true,
				displayOptions: REDIS_CREDENTIAL.displayOptions,
				testedBy: 'sharedLimitsRedisTest',
			},
		],
		properties: systemNodeProperties('ejento'),
	};

	methods = {
		credentialTest: {
			ejentoCredentialTest: credentialTests.ejentoCredentialTest,
			sharedLimitsRedisTest,
		},
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await executeSystemNode.call(this, 'ejento');
	}
}
