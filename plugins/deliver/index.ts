import { DELIVERY, definePlugin } from '../sdk.ts';

/** Sends an event (the trigger by default) to one endpoint through the delivery engine and its retries. */
export default definePlugin<{ endpoint: string; event?: string }>({
  name: 'deliver',
  version: '1.0.0',
  apiVersion: 1,
  description: 'Queues a signed delivery of an event to an endpoint; output is {delivery}.',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['endpoint'],
    properties: { endpoint: { type: 'string', minLength: 1 }, event: { type: 'string', minLength: 1 } },
  },
  async run(ctx, params) {
    const delivery = ctx.services.get(DELIVERY);
    if (!delivery) throw new Error('deliver: this relay has no delivery engine (service "delivery" is not provided)');
    const eventId = params.event ?? ctx.run.triggerEventId;
    if (!eventId) throw new Error('deliver: no event to deliver (a manual run without a stored event needs with.event)');
    const queued = await delivery.enqueueForEndpoint(params.endpoint, eventId);
    return { delivery: queued.id, endpoint: params.endpoint, event: eventId };
  },
});
