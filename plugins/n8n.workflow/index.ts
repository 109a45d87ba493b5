import { Webhook } from 'svix';
import { definePlugin, durationSchema, parseDuration } from '../sdk.ts';

interface N8nWorkflowParams {
  /** The production URL of an n8n Webhook node (`https://n8n.example.com/webhook/orders`). */
  url: string;
  /** Standard Webhooks secret (`whsec_...`) the n8n side verifies with. */
  secret: string;
  /** The JSON body; default `{run_id, workflow, event_id}`. */
  json?: unknown;
  headers?: Record<string, string>;
  /**
   * Wait for a callback event after the call: the n8n workflow answers later by sending an event
   * (`POST /v1/events`) whose payload carries `webhook_id` = the id this step sent.
   */
  callback?: { source?: string; type: string; timeout: string | number };
}

const MAX_BODY_BYTES = 1_000_000;

/**
 * Starts an n8n workflow through its Webhook node (n8n's public API cannot start one) with a signed
 * request whose `webhook-id` is `<run id>:<step id>`: the same on every retry of the step and after a
 * restart, so the n8n side can drop repeats. Output: `{status, body, webhook_id, callback}`.
 */
export default definePlugin<N8nWorkflowParams>({
  name: 'n8n.workflow',
  version: '1.0.0',
  apiVersion: 1,
  description: 'Calls an n8n workflow webhook, signed and idempotent; output is its answer (and a callback event).',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['url', 'secret'],
    properties: {
      url: { type: 'string', minLength: 1 },
      secret: { type: 'string', minLength: 1 },
      json: {},
      headers: { type: 'object', additionalProperties: { type: 'string' } },
      callback: {
        type: 'object',
        additionalProperties: false,
        required: ['type', 'timeout'],
        properties: { source: { type: 'string', minLength: 1 }, type: { type: 'string', minLength: 1 }, timeout: durationSchema },
      },
    },
  },
  async run(ctx, params) {
    const webhookId = `${ctx.run.id}:${ctx.step.id}`;
    const body = JSON.stringify(
      params.json ?? { run_id: ctx.run.id, workflow: ctx.run.workflow, event_id: ctx.run.triggerEventId },
    );
    const now = new Date(ctx.clock.now());
    let signature: string;
    try {
      signature = new Webhook(params.secret).sign(webhookId, now, body);
    } catch {
      throw new Error('n8n.workflow: "secret" is not a Standard Webhooks secret (whsec_...)');
    }
    const res = await ctx.http.send({
      method: 'POST',
      url: params.url,
      headers: {
        ...params.headers,
        'content-type': 'application/json',
        'webhook-id': webhookId,
        'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
        'webhook-signature': signature,
      },
      body,
      signal: ctx.signal,
      maxBodyBytes: MAX_BODY_BYTES,
    });
    if (res.status < 200 || res.status >= 300) {
      throw new Error(`n8n answered ${res.status} for ${params.url}: ${res.body.slice(0, 200)}`);
    }
    const answer = {
      status: res.status,
      body: parse(res.body, res.headers['content-type']),
      webhook_id: webhookId,
      callback: null as unknown,
    };
    if (!params.callback) return answer;
    const started = ctx.step.startedAt;
    answer.callback = await ctx.waitForEvent({
      source: params.callback.source,
      type: params.callback.type,
      match: async (event) => (event.payload as { webhook_id?: unknown } | null)?.webhook_id === webhookId,
      since: started,
      until: started + (parseDuration(params.callback.timeout) ?? 0),
    });
    if (answer.callback === null)
      throw new Error(`n8n.workflow: no ${params.callback.type} callback within ${params.callback.timeout}`);
    return answer;
  },
});

function parse(body: string, contentType: string | undefined): unknown {
  if (!contentType?.includes('json')) return body;
  try {
    return JSON.parse(body);
  } catch {
    return body;
  }
}
