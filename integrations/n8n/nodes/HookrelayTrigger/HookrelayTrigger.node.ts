import type {
	IDataObject,
	IHookFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';
import { type AckMode, isRepeat, type SeenEvent } from '../shared/dedupe';
import {
	adopt,
	createOrAdopt,
	endpointUid,
	findEndpoint,
	listParam,
	syncAndCatchUp,
	type TriggerState,
} from '../shared/endpoint';
import { receivedAtOf } from '../shared/ids';
import { header, parseBody, refreshSecret, secretsOf } from '../shared/receive';
import { TOLERANCE_SECONDS, verify } from '../shared/signature';
import { relayCall } from '../shared/transport';

/**
 * Event ids seen per trigger in this n8n process: concurrent requests read the static data n8n saved
 * before either of them, so the process-wide list is the one that settles a race between them.
 */
const seenInProcess = new Map<string, SeenEvent[]>();

export class HookrelayTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Hookrelay Trigger',
		name: 'hookrelayTrigger',
		icon: { light: 'file:../../icons/hookrelay.svg', dark: 'file:../../icons/hookrelay.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: '={{$parameter["types"] || "all events"}}',
		description:
			'Starts the workflow for each hookrelay event: events sent while n8n was down arrive once it is back',
		defaults: { name: 'Hookrelay Trigger' },
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'hookrelayApi', required: true }],
		webhooks: [
			{
				name: 'default',
				httpMethod: 'POST',
				responseMode: '={{$parameter["ack"] === "success" ? "lastNode" : "onReceived"}}',
				path: 'hookrelay',
			},
		],
		properties: [
			{
				displayName: 'Sources',
				name: 'sources',
				type: 'string',
				default: '',
				placeholder: 'stripe, github',
				description: 'Comma-separated source names; empty for every source',
			},
			{
				displayName: 'Event Types',
				name: 'types',
				type: 'string',
				default: '',
				placeholder: 'invoice.*, push',
				description: 'Comma-separated type globs; empty for every type',
			},
			{
				displayName: 'Acknowledge',
				name: 'ack',
				type: 'options',
				options: [
					{
						name: 'On Receipt',
						value: 'receipt',
						description: 'Answer 200 as soon as the event is verified',
					},
					{
						name: 'When the Workflow Succeeds',
						value: 'success',
						description: 'Answer when the execution ends; a failed one is retried by the relay',
					},
				],
				default: 'receipt',
			},
			{
				displayName: 'On Deactivation',
				name: 'onDeactivate',
				type: 'options',
				options: [
					{
						name: 'Pause the Endpoint',
						value: 'pause',
						description:
							'Events keep arriving at the relay and run once the workflow is active again',
					},
					{
						name: 'Delete the Endpoint',
						value: 'delete',
						description: 'Only an endpoint this trigger created; one it adopted is paused instead',
					},
				],
				default: 'pause',
			},
			{
				displayName: 'Options',
				name: 'options',
				type: 'collection',
				placeholder: 'Add option',
				default: {},
				options: [
					{
						displayName: 'Endpoint UID',
						name: 'endpointUid',
						type: 'string',
						default: '',
						description:
							'Adopt the relay endpoint with this uid instead of the one made for this workflow and node',
					},
					{
						displayName: 'Timestamp Tolerance (Seconds)',
						name: 'tolerance',
						type: 'number',
						default: TOLERANCE_SECONDS,
						typeOptions: { minValue: 10 },
						description: 'Requests signed longer ago (or further ahead) than this are refused',
					},
				],
			},
		],
	};

	webhookMethods = {
		default: {
			async checkExists(this: IHookFunctions): Promise<boolean> {
				const state = this.getWorkflowStaticData('node') as TriggerState;
				const endpoint = await findEndpoint.call(this, state, endpointUid.call(this));
				if (!endpoint) {
					delete state.endpointId;
					delete state.secret;
					delete state.created;
					return false;
				}
				// n8n was restarted or the workflow re-activated: the endpoint is there, so catch up here.
				adopt(state, endpoint);
				await syncAndCatchUp.call(this, state, endpoint, wanted(this));
				return true;
			},
			async create(this: IHookFunctions): Promise<boolean> {
				const state = this.getWorkflowStaticData('node') as TriggerState;
				const target = wanted(this);
				const endpoint = await createOrAdopt.call(this, state, {
					...target,
					uid: endpointUid.call(this),
					description: `n8n workflow ${this.getWorkflow().name ?? this.getWorkflow().id}`,
				});
				await syncAndCatchUp.call(this, state, endpoint, target);
				return true;
			},
			async delete(this: IHookFunctions): Promise<boolean> {
				const state = this.getWorkflowStaticData('node') as TriggerState;
				if (!state.endpointId) return true;
				const remove =
					this.getNodeParameter('onDeactivate', 'pause') === 'delete' && state.created === true;
				const id = state.endpointId;
				const answer = remove
					? await relayCall.call(this, { method: 'DELETE', path: `/v1/endpoints/${id}` })
					: await relayCall.call(this, { method: 'POST', path: `/v1/endpoints/${id}/pause` });
				if (answer.status === 404 || (remove && answer.status === 200)) {
					delete state.endpointId;
					delete state.secret;
					delete state.created;
					return true;
				}
				return answer.status === 200;
			},
		},
	};

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		const req = this.getRequestObject();
		const res = this.getResponseObject();
		const refuse = (status: number, code: string, message: string): IWebhookResponseData => {
			res.status(status).json({ error: { code, message } });
			return { noWebhookResponse: true };
		};
		const body = Buffer.isBuffer(req.rawBody)
			? req.rawBody
			: Buffer.from(String(req.rawBody ?? ''));
		const headers = this.getHeaderData() as IDataObject;
		const signed = {
			id: header(headers, 'webhook-id'),
			timestamp: header(headers, 'webhook-timestamp'),
			signature: header(headers, 'webhook-signature'),
		};
		const options = this.getNodeParameter('options', {}) as IDataObject;
		const tolerance = Number(options.tolerance ?? TOLERANCE_SECONDS);
		const state = this.getWorkflowStaticData('node') as TriggerState;
		const key = `${this.getWorkflow().id}:${this.getNode().id}`;
		const check = async () =>
			verify(
				body,
				signed,
				await secretsOf(this, state, key),
				Math.floor(Date.now() / 1000),
				tolerance,
			);
		let result = signed.signature ? await check() : verify(body, signed, [], 0, tolerance);
		if (!result.ok && result.problem === 'forged' && (await refreshSecret(this, state, key)))
			result = await check();
		if (!result.ok) return refuse(401, `signature_${result.problem}`, result.message);

		const delivery = {
			id: header(headers, 'x-hookrelay-delivery-id') ?? '',
			attempt: Number(header(headers, 'x-hookrelay-attempt') ?? 1),
		};
		const mode = this.getNodeParameter('ack', 'receipt') as AckMode;
		const seen = seenInProcess.get(key) ?? ((state.seen as SeenEvent[] | undefined) ?? []).slice();
		seenInProcess.set(key, seen);
		const repeat = isRepeat(
			seen,
			{ eventId: result.id, deliveryId: delivery.id, attempt: delivery.attempt, now: Date.now() },
			mode,
		);
		state.seen = seen.slice();
		if (repeat) {
			res.status(200).json({ duplicate: true, event_id: result.id });
			return { noWebhookResponse: true };
		}
		const item: INodeExecutionData = {
			json: {
				event_id: result.id,
				source: header(headers, 'x-hookrelay-source') ?? null,
				type: header(headers, 'x-hookrelay-event-type') ?? null,
				received_at: receivedAtOf(result.id),
				payload: parseBody(body, header(headers, 'content-type')),
				delivery,
			},
		};
		return { workflowData: [[item]] };
	}
}

function wanted(ctx: IHookFunctions) {
	return {
		url: ctx.getNodeWebhookUrl('default') as string,
		filter: {
			sources: listParam(ctx.getNodeParameter('sources', '')),
			types: listParam(ctx.getNodeParameter('types', '')),
		},
	};
}
