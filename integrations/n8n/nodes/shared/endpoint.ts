import type { IDataObject, IHookFunctions, IWebhookFunctions } from 'n8n-workflow';
import { relayCall, relayCode, relayRequest } from './transport';

/** Marks endpoints this package made, so it only ever deletes its own. */
export const CREATED_BY = 'n8n-nodes-hookrelay';

/** What the trigger keeps in the workflow's static data (survives restarts, saved by n8n). */
export interface TriggerState extends IDataObject {
	endpointId?: string;
	/** Current signing secret, and retired ones still signing during a rotation. */
	secret?: string;
	/** True when this trigger created the endpoint (only then may it delete it). */
	created?: boolean;
	/** Until when failed deliveries have been recovered (epoch ms). */
	caughtUpAt?: number;
}

export interface RelayEndpoint extends IDataObject {
	id: string;
	url: string;
	uid: string | null;
	paused: boolean;
	enabled: boolean;
	created_at: string;
	filter: { sources: string[] | null; types: string[] | null };
	metadata: IDataObject;
}

/** How far back a catch-up recovers failed deliveries (the relay allows 14 days by default). */
const RECOVER_MAX_MS = 13 * 24 * 3600 * 1000;

export function listParam(value: unknown): string[] | null {
	const list = String(value ?? '')
		.split(',')
		.map((s) => s.trim())
		.filter((s) => s !== '');
	return list.length > 0 ? list : null;
}

/** The endpoint's stable uid: chosen in the node's options, or made of the workflow and node ids. */
export function endpointUid(this: IHookFunctions | IWebhookFunctions): string {
	const options = this.getNodeParameter('options', {}) as IDataObject;
	const chosen = String(options.endpointUid ?? '').trim();
	return chosen !== '' ? chosen : `n8n:${this.getWorkflow().id}:${this.getNode().id}`;
}

/** The endpoint by the id kept in static data, else by uid; null when the relay has neither. */
export async function findEndpoint(
	this: IHookFunctions | IWebhookFunctions,
	state: TriggerState,
	uid: string,
): Promise<RelayEndpoint | null> {
	if (state.endpointId) {
		const byId = await relayCall.call(this, {
			method: 'GET',
			path: `/v1/endpoints/${state.endpointId}`,
		});
		if (byId.status === 200) return byId.body as RelayEndpoint;
		if (byId.status !== 404) throw new Error(`hookrelay answered ${byId.status} for the endpoint`);
	}
	const list = await relayRequest.call(this, {
		method: 'GET',
		path: '/v1/endpoints',
		qs: { uid },
	});
	const [found] = (list.data as RelayEndpoint[] | undefined) ?? [];
	return found ?? null;
}

export async function fetchSecret(
	this: IHookFunctions | IWebhookFunctions,
	endpointId: string,
): Promise<string> {
	const answer = await relayRequest.call(this, {
		method: 'GET',
		path: `/v1/endpoints/${endpointId}/secret`,
	});
	return String(answer.secret);
}

/** Creates the endpoint, or adopts the one that already has the uid (409 endpoint_uid_taken). */
export async function createOrAdopt(
	this: IHookFunctions,
	state: TriggerState,
	wanted: { url: string; uid: string; filter: RelayEndpoint['filter']; description: string },
): Promise<RelayEndpoint> {
	const created = await relayCall.call(this, {
		method: 'POST',
		path: '/v1/endpoints',
		body: {
			url: wanted.url,
			uid: wanted.uid,
			filter: wanted.filter,
			description: wanted.description,
			metadata: { created_by: CREATED_BY, workflow_id: this.getWorkflow().id ?? null },
		},
	});
	if (created.status === 201) {
		state.endpointId = String(created.body.id);
		state.secret = String(created.body.secret);
		state.created = true;
		return created.body as RelayEndpoint;
	}
	if (created.status === 409 && relayCode(created.body) === 'endpoint_uid_taken') {
		const holder = String((created.body.error as IDataObject).endpoint_id);
		const endpoint = (await relayRequest.call(this, {
			method: 'GET',
			path: `/v1/endpoints/${holder}`,
		})) as RelayEndpoint;
		adopt(state, endpoint);
		return endpoint;
	}
	throw new Error(
		`hookrelay refused the endpoint (${created.status}): ${JSON.stringify(created.body.error ?? created.body)}`,
	);
}

/** Takes over an existing endpoint: this package's own by its metadata, or someone else's (never deleted). */
export function adopt(state: TriggerState, endpoint: RelayEndpoint): void {
	if (state.endpointId !== endpoint.id) {
		state.endpointId = endpoint.id;
		state.created = endpoint.metadata?.created_by === CREATED_BY;
		delete state.secret;
	}
}

/**
 * Makes the endpoint match the node (URL, filter), resumes it and catches up: every pending delivery
 * is sent now (flush) and the failed ones since the last catch-up are sent once more (recover).
 */
export async function syncAndCatchUp(
	this: IHookFunctions,
	state: TriggerState,
	endpoint: RelayEndpoint,
	wanted: { url: string; filter: RelayEndpoint['filter'] },
): Promise<void> {
	const id = endpoint.id;
	const changes: IDataObject = {};
	if (endpoint.url !== wanted.url) changes.url = wanted.url;
	if (JSON.stringify(endpoint.filter) !== JSON.stringify(wanted.filter))
		changes.filter = wanted.filter;
	if (endpoint.paused) changes.paused = false;
	if (!endpoint.enabled) changes.enabled = true;
	if (Object.keys(changes).length > 0) {
		await relayRequest.call(this, { method: 'PATCH', path: `/v1/endpoints/${id}`, body: changes });
	}
	state.secret = await fetchSecret.call(this, id);
	const now = Date.now();
	const since = Math.max(state.caughtUpAt ?? Date.parse(endpoint.created_at), now - RECOVER_MAX_MS);
	const recovered = await relayCall.call(this, {
		method: 'POST',
		path: `/v1/endpoints/${id}/recover`,
		body: { since: new Date(since).toISOString() },
	});
	// A relay configured to look back less far (delivery.recoverMaxDays) refuses the time: the pending
	// deliveries still go out with the flush.
	if (recovered.status !== 202 && recovered.status !== 400) {
		throw new Error(
			`hookrelay answered ${recovered.status} to the catch-up: ${JSON.stringify(recovered.body)}`,
		);
	}
	await relayRequest.call(this, { method: 'POST', path: `/v1/endpoints/${id}/flush` });
	state.caughtUpAt = now;
}
