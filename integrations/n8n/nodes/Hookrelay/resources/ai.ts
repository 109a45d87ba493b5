import type { INodeProperties } from 'n8n-workflow';
import { field } from './fields';

const R = 'aiResponse';

export const aiProperties: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: [R] } },
		options: [
			{
				name: 'Create',
				value: 'create',
				description: 'Start a background response (idempotent with a key)',
				action: 'Create an AI response',
			},
			{
				name: 'Create and Wait',
				value: 'createAndWait',
				description: 'Start a background response and wait until it ends',
				action: 'Create an AI response and wait',
			},
			{ name: 'Get', value: 'get', description: 'Get a response', action: 'Get an AI response' },
			{
				name: 'Cancel',
				value: 'cancel',
				description: 'Cancel a background response',
				action: 'Cancel an AI response',
			},
		],
		default: 'create',
	},
	field(R, ['create', 'createAndWait'], {
		displayName: 'Model',
		name: 'model',
		type: 'string',
		default: 'gpt-4.1-mini',
		required: true,
		description: "Model name as the relay's upstream knows it",
	}),
	field(R, ['create', 'createAndWait'], {
		displayName: 'Input',
		name: 'input',
		type: 'string',
		typeOptions: { rows: 4 },
		default: '',
		required: true,
		description: 'The prompt',
	}),
	field(R, ['create', 'createAndWait'], {
		displayName: 'Instructions',
		name: 'instructions',
		type: 'string',
		default: '',
		description: 'System instructions',
	}),
	field(R, ['create', 'createAndWait'], {
		displayName: 'Idempotency Key',
		name: 'idempotencyKey',
		type: 'string',
		default: '',
		description: 'The same key within 24 h returns the same response instead of starting another',
	}),
	field(R, ['createAndWait'], {
		displayName: 'Timeout (Seconds)',
		name: 'timeout',
		type: 'number',
		default: 300,
		typeOptions: { minValue: 1 },
		description: 'How long to wait for the response to end',
	}),
	field(R, ['get', 'cancel'], {
		displayName: 'Response ID',
		name: 'responseId',
		type: 'string',
		default: '',
		required: true,
		description: 'The response ID (resp_...)',
	}),
];
