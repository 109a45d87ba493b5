import type { INodeProperties } from 'n8n-workflow';
import { field } from './fields';

const R = 'delivery';

export const deliveryProperties: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: [R] } },
		options: [
			{
				name: 'Flush Endpoint',
				value: 'flush',
				description: 'Send every pending delivery of an endpoint now',
				action: 'Flush an endpoint',
			},
			{
				name: 'Pause Endpoint',
				value: 'pause',
				description: "Hold an endpoint's deliveries (they stay pending)",
				action: 'Pause an endpoint',
			},
			{
				name: 'Recover Endpoint',
				value: 'recover',
				description: 'Send every delivery that failed since a time once more',
				action: 'Recover an endpoint',
			},
			{
				name: 'Replay Event',
				value: 'replay',
				description: 'Send a stored event to an endpoint again',
				action: 'Replay an event',
			},
			{
				name: 'Resume Endpoint',
				value: 'resume',
				description: 'Send what a paused endpoint held',
				action: 'Resume an endpoint',
			},
			{
				name: 'Retry Delivery',
				value: 'retry',
				description: 'One more attempt of a delivery now',
				action: 'Retry a delivery',
			},
		],
		default: 'flush',
	},
	field(R, ['flush', 'pause', 'recover', 'replay', 'resume'], {
		displayName: 'Endpoint ID',
		name: 'endpointId',
		type: 'string',
		default: '',
		required: true,
		description: 'The endpoint ID (ep_...)',
	}),
	field(R, ['recover'], {
		displayName: 'Since',
		name: 'since',
		type: 'dateTime',
		default: '',
		required: true,
		description: 'Failed deliveries created since then',
	}),
	field(R, ['replay'], {
		displayName: 'Event ID',
		name: 'eventId',
		type: 'string',
		default: '',
		required: true,
		description: 'The stored event to send',
	}),
	field(R, ['retry'], {
		displayName: 'Delivery ID',
		name: 'deliveryId',
		type: 'string',
		default: '',
		required: true,
		description: 'The delivery ID (dlv_...)',
	}),
];
