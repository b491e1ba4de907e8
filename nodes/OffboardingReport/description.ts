/** The Offboarding Report node's parameters, apart from its behaviour (`execute.ts`). */
import type { INodeProperties } from 'n8n-workflow';

export type ReportOutput = 'csvReport' | 'receipt';

export const properties: INodeProperties[] = [
	{
		displayName:
			'Feed this node the outcome items of the offboarding nodes (Output: One Item per Result), combined with a Merge node in Append mode',
		name: 'notice',
		type: 'notice',
		default: '',
	},
	{
		displayName: 'Output',
		name: 'output',
		type: 'options',
		noDataExpression: true,
		options: [
			{
				name: 'CSV Report',
				value: 'csvReport',
				description:
					'Totals, warnings, the CSV report of every outcome and an HTML report (report.html), as Offboard Users writes them',
			},
			{
				name: 'GDPR Receipt',
				value: 'receipt',
				description:
					'One receipt over every outcome, with its printable page: one erasure request answered across all the apps',
			},
		],
		default: 'csvReport',
	},
	{
		displayName: 'Request ID',
		name: 'requestId',
		type: 'string',
		default: '',
		required: true,
		displayOptions: { show: { output: ['receipt'] } },
		description: "The erasure request's reference, echoed in its receipt",
	},
	{
		displayName: 'Received At',
		name: 'receivedAt',
		type: 'string',
		default: '',
		placeholder: '2026-05-04T09:30:00Z',
		displayOptions: { show: { output: ['receipt'] } },
		description:
			'When the erasure request was received (ISO 8601): the receipt counts its one-month due date from it. Empty: now.',
	},
];
