import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { startRelay, type TestRelay } from '../helpers/relay.ts';
import { waitFor } from '../helpers/wait.ts';
import { api, startReceiver } from './helpers.ts';
import { workflowDir } from './workflow-dir.ts';

describe('deliver step with the delivery engine', () => {
  let relay: TestRelay;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  before(async () => {
    receiver = await startReceiver();
    const dir = await workflowDir({
      'notify.yaml': `name: notify
steps:
  - id: send
    uses: deliver
    with: { endpoint: "{{ event.payload.endpoint }}" }
`,
    });
    relay = await startRelay({ sections: { workflows: { dir, watch: false } } });
  });
  after(async () => {
    await relay.stop();
    await receiver.close();
  });

  it('sends the trigger event to the endpoint as a signed Standard Webhook', async () => {
    // An endpoint whose own filter matches nothing: only the workflow's deliver step sends to it.
    const endpoint = await api<{ id: string; secret: string }>(relay.url, '/v1/endpoints', {
      method: 'POST',
      body: { url: `${receiver.url}/hook`, filter: { types: ['nothing.*'] } },
      auth: relay.auth,
    });
    assert.equal(endpoint.status, 201);
    const event = await relay.relay.ctx.eventService.emit({
      source: 'manual',
      type: 'order.paid',
      payload: { endpoint: endpoint.body.id, order: 7 },
    });
    const run = await api<{ id: string }>(relay.url, '/v1/workflows/notify/runs', {
      method: 'POST',
      body: { event_id: event.id },
      auth: relay.auth,
    });
    type Detail = { status: string; steps: Array<{ output: { delivery: string; event: string }; error?: string }> };
    const done = await waitFor('the run', async () => {
      const r = await api<Detail>(relay.url, `/v1/runs/${run.body.id}`, { auth: relay.auth });
      return r.body.status === 'succeeded' || r.body.status === 'failed' ? r.body : null;
    });
    assert.equal(done.status, 'succeeded', done.steps[0].error);
    assert.equal(done.steps[0].output.event, event.id);
    const hit = await waitFor('the delivery', () => receiver.received.find((r) => r.url === '/hook'));
    const verified = new Webhook(endpoint.body.secret).verify(hit.body, hit.headers as Record<string, string>);
    assert.deepEqual(verified, { endpoint: endpoint.body.id, order: 7 });
    assert.equal(receiver.received.filter((r) => r.url === '/hook').length, 1);
  });
});
