import type {
	IDataObject,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
	IPollFunctions,
} from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';
import { relayRequest } from '../shared/transport';

/** Events one poll reads at most (10 pages of 100); the rest come on the next poll. */
const PAGE = 100;
const MAX_PAGES = 10;

interface PollState extends IDataObject {
	/** The id of the last event emitted: the cursor of `GET /v1/events?after=`. */
	cursor?: string;
}

export class HookrelayPollTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Hookrelay Poll Trigger',
		name: 'hookrelayPollTrigger',
		icon: { light: 'file:../../icons/hookrelay.svg', dark: 'file:../../icons/hookrelay.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: '={{$parameter["type"] || "all events"}}',
		description:
			'Reads new hookrelay events on a schedule, for n8n instances the relay cannot reach',
		defaults: { name: 'Hookrelay Poll Trigger' },
		polling: true,
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'hookrelayApi', required: true }],
		properties: [
			{
				displayName: 'Source',
				name: 'source',
				type: 'string',
				default: '',
				description: 'Only events of this source; empty for every source',
			},
			{
				displayName: 'Event Type',
				name: 'type',
				type: 'string',
				default: '',
				placeholder: 'invoice.*',
				description: 'An exact type or a glob such as invoice.*; empty for every type',
			},
		],
	};

	async poll(this: IPollFunctions): Promise<INodeExecutionData[][] | null> {
		const state = this.getWorkflowStaticData('node') as PollState;
		const filter: IDataObject = {};
		const source = String(this.getNodeParameter('source', '')).trim();
		const type = String(this.getNodeParameter('type', '')).trim();
		if (source) filter.source = source;
		if (type) filter.type = type;
		const manual = this.getMode() === 'manual';
		if (state.cursor === undefined || manual) {
			// The first poll starts from now: the newest matching event is the cursor (and, when testing
			// the node by hand, its output).
			const newest = await relayRequest.call(this, {
				method: 'GET',
				path: '/v1/events',
				qs: { ...filter, tail: true, limit: 1 },
			});
			const events = (newest.data as IDataObject[]) ?? [];
			if (!manual) state.cursor = String(newest.last_id ?? '');
			return manual && events.length > 0 ? [events.map((json) => ({ json }))] : null;
		}
		const items: INodeExecutionData[] = [];
		for (let page = 0; page < MAX_PAGES; page++) {
			const qs: IDataObject = { ...filter, limit: PAGE };
			if (state.cursor) qs.after = state.cursor;
			const answer = await relayRequest.call(this, { method: 'GET', path: '/v1/events', qs });
			const events = (answer.data as IDataObject[]) ?? [];
			for (const event of events) items.push({ json: event });
			if (answer.last_id) state.cursor = String(answer.last_id);
			if (!answer.has_more) break;
		}
		return items.length > 0 ? [items] : null;
	}
}
