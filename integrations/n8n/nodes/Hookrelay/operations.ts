import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';
import { NodeOperationError, sleep } from 'n8n-workflow';
import { relayBaseUrl, relayRequest } from '../shared/transport';

type Operation = (ctx: IExecuteFunctions, i: number) => Promise<IDataObject | IDataObject[]>;

const TERMINAL = new Set(['completed', 'failed', 'cancelled', 'incomplete']);

const str = (ctx: IExecuteFunctions, name: string, i: number) =>
	String(ctx.getNodeParameter(name, i, '')).trim();
const path = (...parts: string[]) => parts.map((p) => encodeURIComponent(p)).join('/');

function json(ctx: IExecuteFunctions, name: string, i: number): unknown {
	const value = ctx.getNodeParameter(name, i, '{}');
	if (typeof value !== 'string') return value;
	try {
		return JSON.parse(value);
	} catch {
		throw new NodeOperationError(ctx.getNode(), `"${name}" is not valid JSON`, { itemIndex: i });
	}
}

export const operations: Record<string, Record<string, Operation>> = {
	event: {
		send: (ctx, i) => {
			const body: IDataObject = {
				source: str(ctx, 'source', i),
				type: str(ctx, 'eventType', i),
				payload: json(ctx, 'payload', i) as IDataObject,
			};
			const id = str(ctx, 'eventId', i);
			if (id) body.id = id;
			return relayRequest.call(ctx, { method: 'POST', path: '/v1/events', body });
		},
		get: (ctx, i) =>
			relayRequest.call(ctx, { method: 'GET', path: `/v1/events/${path(str(ctx, 'eventId', i))}` }),
		getRaw: async (ctx, i) => {
			const id = str(ctx, 'eventId', i);
			const response = (await ctx.helpers.httpRequestWithAuthentication.call(ctx, 'hookrelayApi', {
				method: 'GET',
				url: `${await relayBaseUrl.call(ctx)}/v1/events/${path(id)}/raw`,
				encoding: 'arraybuffer',
				returnFullResponse: true,
			})) as { body: ArrayBuffer; headers: IDataObject };
			return {
				event_id: id,
				content_type: response.headers['content-type'] ?? null,
				body: Buffer.from(response.body).toString('utf8'),
			};
		},
		list: async (ctx, i) => {
			const returnAll = ctx.getNodeParameter('returnAll', i, false) as boolean;
			const limit = returnAll
				? Number.POSITIVE_INFINITY
				: (ctx.getNodeParameter('limit', i, 50) as number);
			const qs: IDataObject = {};
			for (const [param, name] of [
				['source', 'source'],
				['type', 'eventType'],
				['after', 'after'],
			]) {
				const value = str(ctx, name, i);
				if (value) qs[param] = value;
			}
			const events: IDataObject[] = [];
			for (;;) {
				const page = await relayRequest.call(ctx, {
					method: 'GET',
					path: '/v1/events',
					qs: { ...qs, limit: Math.min(1000, limit - events.length) },
				});
				events.push(...((page.data as IDataObject[]) ?? []));
				if (!page.has_more || events.length >= limit || !page.last_id) return events;
				qs.after = page.last_id;
			}
		},
	},
	aiResponse: {
		create: (ctx, i) => createResponse(ctx, i),
		createAndWait: async (ctx, i) => {
			let response = await createResponse(ctx, i);
			const deadline = Date.now() + (ctx.getNodeParameter('timeout', i, 300) as number) * 1000;
			while (!TERMINAL.has(String(response.status))) {
				if (Date.now() > deadline) {
					throw new NodeOperationError(
						ctx.getNode(),
						`Response ${response.id} is still ${response.status}`,
						{ itemIndex: i },
					);
				}
				await sleep(500);
				response = await relayRequest.call(ctx, {
					method: 'GET',
					path: `/v1/responses/${path(String(response.id))}`,
				});
			}
			return response;
		},
		get: (ctx, i) =>
			relayRequest.call(ctx, {
				method: 'GET',
				path: `/v1/responses/${path(str(ctx, 'responseId', i))}`,
			}),
		cancel: (ctx, i) =>
			relayRequest.call(ctx, {
				method: 'POST',
				path: `/v1/responses/${path(str(ctx, 'responseId', i))}/cancel`,
			}),
	},
	batch: {
		get: (ctx, i) =>
			relayRequest.call(ctx, {
				method: 'GET',
				path: `/v1/batches/${path(str(ctx, 'batchId', i))}`,
			}),
		cancel: (ctx, i) =>
			relayRequest.call(ctx, {
				method: 'POST',
				path: `/v1/batches/${path(str(ctx, 'batchId', i))}/cancel`,
			}),
		results: async (ctx, i) => {
			const batch = await relayRequest.call(ctx, {
				method: 'GET',
				path: `/v1/batches/${path(str(ctx, 'batchId', i))}`,
			});
			// Lines that succeeded and lines that failed, each with its custom_id.
			const lines: IDataObject[] = [];
			for (const fileId of [batch.output_file_id, batch.error_file_id]) {
				if (!fileId) continue;
				const text = (await ctx.helpers.httpRequestWithAuthentication.call(ctx, 'hookrelayApi', {
					method: 'GET',
					url: `${await relayBaseUrl.call(ctx)}/v1/files/${path(String(fileId))}/content`,
					encoding: 'text',
					json: false,
				})) as string;
				for (const line of String(text).split('\n')) {
					if (line.trim() !== '') lines.push(JSON.parse(line) as IDataObject);
				}
			}
			return lines;
		},
	},
	delivery: {
		flush: (ctx, i) =>
			relayRequest.call(ctx, {
				method: 'POST',
				path: `/v1/endpoints/${path(str(ctx, 'endpointId', i))}/flush`,
			}),
		pause: (ctx, i) =>
			relayRequest.call(ctx, {
				method: 'POST',
				path: `/v1/endpoints/${path(str(ctx, 'endpointId', i))}/pause`,
			}),
		resume: (ctx, i) =>
			relayRequest.call(ctx, {
				method: 'POST',
				path: `/v1/endpoints/${path(str(ctx, 'endpointId', i))}/resume`,
			}),
		recover: (ctx, i) =>
			relayRequest.call(ctx, {
				method: 'POST',
				path: `/v1/endpoints/${path(str(ctx, 'endpointId', i))}/recover`,
				body: { since: new Date(str(ctx, 'since', i)).toISOString() },
			}),
		replay: (ctx, i) =>
			relayRequest.call(ctx, {
				method: 'POST',
				path: `/v1/endpoints/${path(str(ctx, 'endpointId', i))}/replay`,
				body: { event_id: str(ctx, 'eventId', i) },
			}),
		retry: (ctx, i) =>
			relayRequest.call(ctx, {
				method: 'POST',
				path: `/v1/deliveries/${path(str(ctx, 'deliveryId', i))}/retry`,
			}),
	},
	workflow: {
		run: (ctx, i) => {
			const eventId = str(ctx, 'eventId', i);
			const body: IDataObject = eventId
				? { event_id: eventId }
				: {
						event: {
							source: 'n8n',
							type: str(ctx, 'eventType', i) || 'manual',
							payload: json(ctx, 'payload', i) as IDataObject,
						},
					};
			return relayRequest.call(ctx, {
				method: 'POST',
				path: `/v1/workflows/${path(str(ctx, 'workflowName', i))}/runs`,
				body,
			});
		},
		getRun: (ctx, i) =>
			relayRequest.call(ctx, { method: 'GET', path: `/v1/runs/${path(str(ctx, 'runId', i))}` }),
		cancel: (ctx, i) =>
			relayRequest.call(ctx, {
				method: 'POST',
				path: `/v1/runs/${path(str(ctx, 'runId', i))}/cancel`,
			}),
		rerun: (ctx, i) =>
			relayRequest.call(ctx, {
				method: 'POST',
				path: `/v1/runs/${path(str(ctx, 'runId', i))}/rerun`,
			}),
	},
};

function createResponse(ctx: IExecuteFunctions, i: number): Promise<IDataObject> {
	const body: IDataObject = {
		model: str(ctx, 'model', i),
		input: str(ctx, 'input', i),
		background: true,
	};
	const instructions = str(ctx, 'instructions', i);
	if (instructions) body.instructions = instructions;
	const key = str(ctx, 'idempotencyKey', i);
	return relayRequest.call(ctx, {
		method: 'POST',
		path: '/v1/responses',
		body,
		headers: key ? { 'Idempotency-Key': key } : undefined,
	});
}

/** One batch from all input items: a JSONL file of one line per item, uploaded, then the batch. */
export async function createBatch(ctx: IExecuteFunctions, count: number): Promise<IDataObject> {
	const endpoint = str(ctx, 'endpoint', 0) || '/v1/chat/completions';
	const lines = [];
	for (let i = 0; i < count; i++) {
		lines.push(
			JSON.stringify({
				custom_id: `item-${i}`,
				method: 'POST',
				url: endpoint,
				body:
					endpoint === '/v1/responses'
						? { model: str(ctx, 'model', i), input: str(ctx, 'input', i) }
						: {
								model: str(ctx, 'model', i),
								messages: [{ role: 'user', content: str(ctx, 'input', i) }],
							},
			}),
		);
	}
	const boundary = `----hookrelay${Date.now().toString(16)}`;
	const multipart = Buffer.concat([
		Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nbatch\r\n`),
		Buffer.from(
			`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="n8n-items.jsonl"\r\nContent-Type: application/jsonl\r\n\r\n`,
		),
		Buffer.from(`${lines.join('\n')}\n`),
		Buffer.from(`\r\n--${boundary}--\r\n`),
	]);
	const file = (await ctx.helpers.httpRequestWithAuthentication.call(ctx, 'hookrelayApi', {
		method: 'POST',
		url: `${await relayBaseUrl.call(ctx)}/v1/files`,
		body: multipart,
		headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
	})) as IDataObject | string;
	const fileId = (typeof file === 'string' ? (JSON.parse(file) as IDataObject) : file).id;
	return relayRequest.call(ctx, {
		method: 'POST',
		path: '/v1/batches',
		body: { input_file_id: fileId, endpoint, completion_window: '24h' },
	});
}
