import type { INodeProperties } from 'n8n-workflow';
import { field } from './fields';

const R = 'batch';

export const batchProperties: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: [R] } },
		options: [
			{
				name: 'Create From Items',
				value: 'create',
				description: 'One batch line per input item',
				action: 'Create a batch from items',
			},
			{
				name: 'Get',
				value: 'get',
				description: 'Get a batch and its progress',
				action: 'Get a batch',
			},
			{ name: 'Cancel', value: 'cancel', description: 'Cancel a batch', action: 'Cancel a batch' },
			{
				name: 'Get Results',
				value: 'results',
				description: 'The output lines of a finished batch',
				action: 'Get the results of a batch',
			},
		],
		default: 'create',
	},
	field(R, ['create'], {
		displayName: 'Endpoint',
		name: 'endpoint',
		type: 'options',
		options: [
			{ name: 'Chat Completions', value: '/v1/chat/completions' },
			{ name: 'Responses', value: '/v1/responses' },
		],
		default: '/v1/chat/completions',
		description: 'The API each line calls (the upstream must serve it)',
	}),
	field(R, ['create'], {
		displayName: 'Model',
		name: 'model',
		type: 'string',
		default: 'gpt-4.1-mini',
		required: true,
		description: 'Model of every line',
	}),
	field(R, ['create'], {
		displayName: 'Input',
		name: 'input',
		type: 'string',
		default: '={{ $json.input }}',
		required: true,
		description: "The prompt of each item's line",
	}),
	field(R, ['get', 'cancel', 'results'], {
		displayName: 'Batch ID',
		name: 'batchId',
		type: 'string',
		default: '',
		required: true,
		description: 'The batch ID (batch_...)',
	}),
];
