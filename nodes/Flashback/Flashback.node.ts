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

/** Flashback: remove one user per item, through the shared engine and limiters. */
export class Flashback implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Flashback',
		name: 'flashback',
		icon: 'file:../../icons/offboarding.svg',
		group: ['transform'],
		version: 1,
		subtitle: '={{$parameter["operation"] + ": " + $parameter["resource"]}}',
		description: toolDescription('flashback'),
		defaults: { name: 'Flashback' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		usableAsTool: true,
		credentials: [
			{ name: 'flashbackApi', required: true, testedBy: 'flashbackCredentialTest' },
			{
				name: 'sharedLimitsRedisApi',
				required: true,
				displayOptions: REDIS_CREDENTIAL.displayOptions,
				testedBy: 'sharedLimitsRedisTest',
			},
		],
		properties: systemNodeProperties('flashback'),
	};

	methods = {
		credentialTest: {
			flashbackCredentialTest: credentialTests.flashbackCredentialTest,
			sharedLimitsRedisTest,
		},
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await executeSystemNode.call(this, 'flashback');
	}
}
