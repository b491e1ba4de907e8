import {
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
	NodeConnectionTypes,
} from 'n8n-workflow';
import { properties } from './description';
import { executeReport } from './execute';

// Not an AI tool: it reads a workflow's outcome items, nothing an agent would ask for. n8n's type
// has no `usableAsTool: false`: leaving it out says no.
// eslint-disable-next-line @n8n/community-nodes/node-usable-as-tool -- see above; its autofix would add `usableAsTool: true`
export class OffboardingReport implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Offboarding Report',
		name: 'offboardingReport',
		icon: 'file:../../icons/offboarding.svg',
		group: ['transform'],
		version: 1,
		subtitle: '={{$parameter["output"] === "receipt" ? "GDPR Receipt" : "CSV Report"}}',
		description:
			'One CSV report or one GDPR receipt over the outcomes of several offboarding nodes (each SCIM app apart)',
		defaults: { name: 'Offboarding Report' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		properties,
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await executeReport.call(this);
	}
}
