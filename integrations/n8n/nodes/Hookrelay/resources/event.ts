import type { INodeProperties } from 'n8n-workflow';
import { field } from './fields';

const R = 'event';

export const eventProperties: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: [R] } },
		options: [
			{
				name: 'Send',
				value: 'send',
				description: 'Store a new event in the relay (fans out like any other)',
				action: 'Send an event',
			},
			{ name: 'Get', value: 'get', description: 'Get one stored event', action: 'Get an event' },
			{
				name: 'Get Raw',
				value: 'getRaw',
				description: 'Get the original bytes of an event',
				action: 'Get the raw body of an event',
			},
			{
				name: 'Get Many',
				value: 'list',
				description: 'List stored events, oldest first, by cursor',
				action: 'Get many events',
			},
		],
		default: 'send',
	},
	field(R, ['send'], {
		displayName: 'Source',
		name: 'source',
		type: 'string',
		default: 'n8n',
		required: true,
		description: 'Source name the event is stored under',
	}),
	field(R, ['send'], {
		displayName: 'Type',
		name: 'eventType',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'order.created',
		description: 'The event type',
	}),
	field(R, ['send'], {
		displayName: 'Payload (JSON)',
		name: 'payload',
		type: 'json',
		default: '{}',
		description: 'The event body',
	}),
	field(R, ['send'], {
		displayName: 'Event ID',
		name: 'eventId',
		type: 'string',
		default: '',
		description: 'Optional ID: sending the same ID twice stores one event',
	}),
	field(R, ['get', 'getRaw'], {
		displayName: 'Event ID',
		name: 'eventId',
		type: 'string',
		default: '',
		required: true,
		description: 'The event ID (evt_...)',
	}),
	field(R, ['list'], {
		displayName: 'Source',
		name: 'source',
		type: 'string',
		default: '',
		description: 'Only this source; empty for all',
	}),
	field(R, ['list'], {
		displayName: 'Type',
		name: 'eventType',
		type: 'string',
		default: '',
		description: 'Exact type or a glob such as invoice.*',
	}),
	field(R, ['list'], {
		displayName: 'After Event ID',
		name: 'after',
		type: 'string',
		default: '',
		description: 'Cursor: only events after this ID',
	}),
	field(R, ['list'], {
		displayName: 'Return All',
		name: 'returnAll',
		type: 'boolean',
		default: false,
		description: 'Whether to return all results or only up to a given limit',
	}),
	field(R, ['list'], {
		displayName: 'Limit',
		name: 'limit',
		type: 'number',
		default: 50,
		typeOptions: { minValue: 1 },
		description: 'Max number of results to return',
	}),
];
