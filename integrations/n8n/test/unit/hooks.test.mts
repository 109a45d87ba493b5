import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { Receiver } from '../../../../test/delivery/receiver.ts';
import { api, createEndpoint, deliveries, ingest, TEST_SOURCES } from '../../../../test/delivery/setup.ts';
import { ADMIN_TOKEN, startRelay, type TestRelay } from '../../../../test/helpers/relay.ts';
import { waitFor } from '../../../../test/helpers/wait.ts';
import { load, triggerNode } from './dist.mts';
import { n8nContext, type StubOptions } from './n8n-context.mts';

interface EndpointJson {
  id: string;
  url: string;
  uid: string;
  paused: boolean;
  filter: unknown;
  metadata: Record<string, unknown>;
}

describe('the trigger registering and unregistering its endpoint, against a real relay', () => {
  let relay: TestRelay;
  let receiver: Receiver;
  const node = triggerNode();
  const hooks = node.webhookMethods.default;
  let options: StubOptions;
  before(async () => {
    // A failed attempt waits an hour for the next: only the catch-up can send it sooner.
    relay = await startRelay({ sources: TEST_SOURCES, sections: { delivery: { jitter: 0, scheduleSeconds: [0, 3600] } } });
    receiver = await new Receiver().start();
    options = { relayUrl: relay.url, apiKey: ADMIN_TOKEN, webhookUrl: `${receiver.url}/n8n`, workflowId: 'wf1', nodeId: 'n1' };
  });
  after(async () => {
    await relay.stop();
    await receiver.stop();
  });
  const endpoints = async () => (await api<{ data: EndpointJson[] }>(relay, '/v1/endpoints')).body.data;

  it('creates one endpoint with the uid, filter, URL and marker, and keeps its id and secret', async () => {
    const ctx = n8nContext({ ...options, parameters: { sources: 'dev', types: 'order.*, ping' } });
    assert.equal(await hooks.checkExists.call(ctx), false);
    assert.equal(await hooks.create.call(ctx), true);
    const [endpoint, ...others] = await endpoints();
    assert.equal(others.length, 0);
    assert.equal(endpoint.uid, 'n8n:wf1:n1');
    assert.equal(endpoint.url, `${receiver.url}/n8n`);
    assert.deepEqual(endpoint.filter, { sources: ['dev'], types: ['order.*', 'ping'] });
    assert.equal(endpoint.metadata.created_by, 'n8n-nodes-hookrelay');
    const secret = (await api<{ secret: string }>(relay, `/v1/endpoints/${endpoint.id}/secret`)).body.secret;
    assert.equal(ctx.staticData.endpointId, endpoint.id);
    assert.equal(ctx.staticData.secret, secret);
    assert.equal(ctx.staticData.created, true);
  });

  it('pauses on deactivation, and on activation resumes and sends at once what waited', async () => {
    const ctx = n8nContext({ ...options, parameters: { sources: 'dev', types: 'order.*, ping' } });
    await hooks.checkExists.call(ctx);
    assert.equal(await hooks.delete.call(ctx), true);
    const [paused] = await endpoints();
    assert.equal(paused.paused, true);
    let down = true;
    receiver.answer = () => (down ? { status: 503 } : { status: 200 });
    const eventId = await ingest(relay, { type: 'order.created' });
    // Resumed while the receiver fails: one attempt, then an hour's wait.
    await api(relay, `/v1/endpoints/${paused.id}/resume`, { method: 'POST' });
    await waitFor('a failed attempt', async () => (await deliveries(relay, paused.id))[0]?.attempt_count === 1);
    await api(relay, `/v1/endpoints/${paused.id}/pause`, { method: 'POST' });
    down = false;
    assert.equal(await hooks.checkExists.call(ctx), true);
    assert.equal((await endpoints())[0].paused, false);
    const delivered = await waitFor('the waiting delivery, sent by the catch-up', () =>
      receiver.received.find((r) => r.headers['webhook-id'] === eventId && r.headers['x-hookrelay-attempt'] === '2'),
    );
    assert.equal(delivered.path, '/n8n');
  });

  it('adopts its endpoint by uid after losing its static data (an import), without making a second one', async () => {
    const [before] = await endpoints();
    const ctx = n8nContext({ ...options, parameters: { sources: 'dev', types: 'order.*, ping' } });
    assert.equal(await hooks.checkExists.call(ctx), true);
    assert.equal(ctx.staticData.endpointId, before.id);
    assert.equal(ctx.staticData.created, true);
    const again = n8nContext({ ...options, parameters: { sources: 'dev', types: 'order.*, ping' } });
    assert.equal(await hooks.create.call(again), true);
    assert.equal(again.staticData.endpointId, before.id);
    assert.equal((await endpoints()).length, 1);
  });

  it("re-points the endpoint when n8n's URL or the filter changed", async () => {
    const ctx = n8nContext({ ...options, webhookUrl: `${receiver.url}/moved`, parameters: { sources: '', types: 'order.*' } });
    assert.equal(await hooks.checkExists.call(ctx), true);
    const [endpoint] = await endpoints();
    assert.equal(endpoint.url, `${receiver.url}/moved`);
    assert.deepEqual(endpoint.filter, { sources: null, types: ['order.*'] });
  });

  it('deletes on deactivation when asked, but only an endpoint it created', async () => {
    const ctx = n8nContext({ ...options, parameters: { onDeactivate: 'delete' } });
    await hooks.checkExists.call(ctx);
    assert.equal(await hooks.delete.call(ctx), true);
    assert.equal((await endpoints()).length, 0);
    assert.equal(ctx.staticData.endpointId, undefined);

    const foreign = await createEndpoint(relay, { url: `${receiver.url}/theirs`, uid: 'shared-endpoint' });
    const adopting = n8nContext({
      ...options,
      nodeId: 'n2',
      parameters: { onDeactivate: 'delete', options: { endpointUid: 'shared-endpoint' } },
    });
    assert.equal(await hooks.checkExists.call(adopting), true);
    assert.equal(adopting.staticData.created, false);
    assert.equal(await hooks.delete.call(adopting), true);
    const kept = (await endpoints()).find((e) => e.id === foreign.id);
    assert.equal(kept?.paused, true, 'paused, not deleted');
  });

  it('runs a verified delivery with the event id and delivery, refuses forged ones with 401, drops a repeat', async () => {
    const setup = n8nContext({ ...options, nodeId: 'n3' });
    await hooks.create.call(setup);
    const secret = setup.staticData.secret as string;
    const body = Buffer.from('{"type":"order.created","total":3}');
    const id = 'evt_01jbbbbbbb0000aaaaaaaa';
    const now = new Date();
    const headers = {
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
      'webhook-signature': new Webhook(secret).sign(id, now, body.toString()),
      'x-hookrelay-source': 'dev',
      'x-hookrelay-event-type': 'order.created',
      'x-hookrelay-delivery-id': 'dlv_1',
      'x-hookrelay-attempt': '1',
      'content-type': 'application/json',
    };
    const call = (h: Record<string, string>, data = setup.staticData) => {
      const ctx = n8nContext({ ...options, nodeId: 'n3', staticData: data }, { headers: h, rawBody: body });
      return node.webhook.call(ctx).then((result) => ({ result, response: ctx.response }));
    };
    const ok = await call(headers);
    const item = ok.result.workflowData?.[0][0].json;
    assert.deepEqual(item, {
      event_id: id,
      source: 'dev',
      type: 'order.created',
      received_at: item?.received_at,
      payload: { type: 'order.created', total: 3 },
      delivery: { id: 'dlv_1', attempt: 1 },
    });
    assert.match(String(item?.received_at), /^\d{4}-\d\d-\d\dT/);
    const repeat = await call({ ...headers, 'x-hookrelay-delivery-id': 'dlv_replay' });
    assert.equal(repeat.result.workflowData, undefined);
    assert.equal(repeat.response.statusCode, 200);
    const forged = await call({ ...headers, 'webhook-id': 'evt_other', 'webhook-signature': 'v1,AAAA' });
    assert.equal(forged.response.statusCode, 401);
    assert.equal(forged.result.workflowData, undefined);
    const unsigned = await call({ 'content-type': 'application/json' });
    assert.equal(unsigned.response.statusCode, 401);
    // Before n8n has saved the secret (a delivery during activation): asked of the relay by uid.
    const early = await call(
      {
        ...headers,
        'webhook-id': 'evt_01jbbbbbbb0000aaaaaaab',
        'webhook-signature': new Webhook(secret).sign('evt_01jbbbbbbb0000aaaaaaab', now, body.toString()),
      },
      {},
    );
    assert.equal(early.result.workflowData?.[0][0].json.event_id, 'evt_01jbbbbbbb0000aaaaaaab');
  });

  it('is refused by the relay with a key that is not valid, and says so', async () => {
    const ctx = n8nContext({ ...options, apiKey: 'wrong-key', nodeId: 'n4' });
    await assert.rejects(() => hooks.create.call(ctx));
    assert.equal((await endpoints()).filter((e) => e.uid === 'n8n:wf1:n4').length, 0);
  });
});

describe('the credential test request', () => {
  it("answers 200 for the admin token and for a key with only the trigger's scope, 401 for a wrong key", async () => {
    const relay = await startRelay({ sources: TEST_SOURCES });
    try {
      const credential = new (load<{ HookrelayApi: new () => { test: { request: { url: string; method: string } } } }>(
        'credentials/HookrelayApi.credentials.js',
      ).HookrelayApi)();
      const { url, method } = credential.test.request;
      const minted = await api<{ key: string }>(relay, '/v1/keys', {
        method: 'POST',
        body: { name: 'n8n', scopes: ['endpoints'] },
      });
      const status = async (key: string) =>
        (await fetch(`${relay.url}${url}`, { method, headers: { authorization: `Bearer ${key}` } })).status;
      assert.equal(await status(ADMIN_TOKEN), 200);
      assert.equal(await status(minted.body.key), 200);
      assert.equal(await status('hrk_wrong'), 401);
    } finally {
      await relay.stop();
    }
  });
});
