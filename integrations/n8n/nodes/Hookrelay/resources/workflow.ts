import type { INodeProperties } from 'n8n-workflow';
import { field } from './fields';

const R = 'workflow';

export const workflowProperties: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: [R] } },
		options: [
			{
				name: 'Run',
				value: 'run',
				description: 'Start a hookrelay YAML workflow',
				action: 'Run a workflow',
			},
			{
				name: 'Get Run',
				value: 'getRun',
				description: 'Get a run with its steps',
				action: 'Get a workflow run',
			},
			{
				name: 'Cancel Run',
				value: 'cancel',
				description: 'Cancel a run',
				action: 'Cancel a workflow run',
			},
			{
				name: 'Re-Run',
				value: 'rerun',
				description: 'Start a finished run again with the same event',
				action: 'Re run a workflow run',
			},
		],
		default: 'run',
	},
	field(R, ['run'], {
		displayName: 'Workflow Name',
		name: 'workflowName',
		type: 'string',
		default: '',
		required: true,
		description: 'The name in the YAML file',
	}),
	field(R, ['run'], {
		displayName: 'Event ID',
		name: 'eventId',
		type: 'string',
		default: '',
		description: 'Run on this stored event; empty to run on the type and payload below',
	}),
	field(R, ['run'], {
		displayName: 'Type',
		name: 'eventType',
		type: 'string',
		default: 'manual',
		description: 'Type of the inline event',
	}),
	field(R, ['run'], {
		displayName: 'Payload (JSON)',
		name: 'payload',
		type: 'json',
		default: '{}',
		description: 'Payload of the inline event',
	}),
	field(R, ['getRun', 'cancel', 'rerun'], {
		displayName: 'Run ID',
		name: 'runId',
		type: 'string',
		default: '',
		required: true,
		description: 'The run ID (run_...)',
	}),
];
