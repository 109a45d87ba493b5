// npm run test:n8n: the packed node in a real n8n (pinned, installed outside the repository and
// cached), against a real relay. See docs/n8n.md for what each step proves.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { api, deliveries, ingest, TEST_SOURCES } from '../../../../test/delivery/setup.ts';
import { type FakeOpenAI, startFakeOpenAI } from '../../../../test/helpers/fake-openai.ts';
import { startRelay, type TestRelay } from '../../../../test/helpers/relay.ts';
import { waitFor } from '../../../../test/helpers/wait.ts';
import { pack } from '../build-package.mts';
import { N8n } from '../n8n-process.mts';
import { chain, type Execution, eventIdsOf, freePort, installN8n, installNode, node, TYPE } from './setup.mts';

const TRIGGER = 'Hookrelay Trigger';
const MINUTE = 60_000;

interface EndpointJson {
  id: string;
  url: string;
  uid: string;
  paused: boolean;
  filter: { sources: string[] | null; types: string[] | null };
}

describe('n8n-nodes-hookrelay in a real n8n', () => {
  let relay: TestRelay;
  let fake: FakeOpenAI;
  let n8n: N8n;
  let userFolder: string;
  let credential: { id: string; name: string };
  let workflowId = '';
  let webhookUrl = '';
  let endpoint: EndpointJson;

  before(async () => {
    const installDir = installN8n();
    userFolder = await mkdtemp(join(tmpdir(), 'hookrelay-n8n-'));
    installNode(userFolder, pack(join(userFolder, 'pack')));
    fake = await startFakeOpenAI();
    // A hookrelay YAML workflow that calls an n8n workflow through the n8n.workflow step.
    await writeFile(
      join(userFolder, 'call-n8n.yaml'),
      [
        'name: call-n8n',
        'steps:',
        '  - id: call',
        '    uses: n8n.workflow',
        '    with: { url: "{{ event.payload.url }}", secret: "{{ event.payload.secret }}", json: { order: "{{ event.payload.order }}" } }',
        '',
      ].join('\n'),
    );
    relay = await startRelay({
      sources: TEST_SOURCES,
      sections: {
        // After a failed attempt the next waits an hour: only the trigger's catch-up sends sooner.
        delivery: { jitter: 0, scheduleSeconds: [0, 3600, 3600] },
        ai: { upstreams: [{ name: 'fake', baseURL: fake.baseURL, models: ['fake-*'] }] },
        workflows: { dir: userFolder, watch: false },
      },
    });
    const port = await freePort();
    const logFile = join(tmpdir(), `hookrelay-n8n-${port}.log`);
    console.log(`n8n ${installDir} on port ${port}, log in ${logFile}`);
    n8n = new N8n({ installDir, userFolder, port, brokerPort: await freePort(), logFile });
    await n8n.start();
    await n8n.setUp();
    // A scoped key, as a user would hand n8n (not the admin token).
    const key = await api<{ key: string }>(relay, '/v1/keys', {
      method: 'POST',
      body: { name: 'n8n', scopes: ['endpoints', 'events:read', 'events:write', 'ai', 'workflows'] },
    });
    assert.equal(key.status, 201);
    credential = await n8n.api<{ id: string; name: string }>('POST', '/credentials', {
      name: 'relay',
      type: 'hookrelayApi',
      // n8n 2.x adds a domain allow-list to every credential; the public API wants it stated.
      data: { baseUrl: relay.url, apiKey: key.body.key, allowedHttpRequestDomains: 'all' },
    });
  });

  after(async () => {
    await n8n?.stop();
    await relay?.stop();
    await fake?.close();
    await rm(userFolder, { recursive: true, force: true });
  });

  const endpoints = async () => (await api<{ data: EndpointJson[] }>(relay, '/v1/endpoints')).body.data;
  const executions = async () =>
    (await n8n.api<{ data: Execution[] }>('GET', `/executions?workflowId=${workflowId}&includeData=true&limit=250`)).data;
  const ranFor = async () => eventIdsOf(await executions(), TRIGGER);
  /** Waits until executions carried exactly these event ids (in any order) and no other. */
  const waitForRuns = (expected: string[], what: string) =>
    waitFor(
      what,
      async () => {
        const ids = await ranFor();
        return ids.length >= expected.length ? ids : null;
      },
      2 * MINUTE,
      200,
    );

  it('activating creates exactly one endpoint with the filter, pointing at n8n', async () => {
    const webhookId = randomUUID();
    const trigger = node(
      TRIGGER,
      TYPE.trigger,
      { sources: 'dev', types: 'order.*' },
      { webhookId, credentials: { hookrelayApi: credential } },
    );
    const done = node('Done', 'n8n-nodes-base.noOp', {});
    const created = await n8n.api<{ id: string }>('POST', '/workflows', chain('orders', [trigger, done]));
    workflowId = created.id;
    await n8n.api('POST', `/workflows/${workflowId}/activate`);
    webhookUrl = `${n8n.url}/webhook/${webhookId}/hookrelay`;
    const list = await endpoints();
    assert.equal(list.length, 1);
    endpoint = list[0];
    assert.equal(endpoint.url, webhookUrl);
    assert.equal(endpoint.uid, `n8n:${workflowId}:${trigger.id}`);
    assert.deepEqual(endpoint.filter, { sources: ['dev'], types: ['order.*'] });
    assert.equal(endpoint.paused, false);
  });

  it('a signed event runs one execution carrying its id; an event outside the filter runs nothing', async () => {
    const first = await ingest(relay, { type: 'order.created', n: 1 });
    const outside = await ingest(relay, { type: 'customer.created' });
    const second = await ingest(relay, { type: 'order.paid', n: 2 });
    const ids = await waitForRuns([first, second], 'two executions');
    assert.deepEqual([...ids].sort(), [first, second].sort());
    assert.ok(!ids.includes(outside));
    const sent = await deliveries(relay, endpoint.id);
    assert.ok(sent.every((d) => d.status === 'succeeded'));
    assert.equal(sent.length, 2, 'no delivery for the event outside the filter');
  });

  it('forged, unsigned and stale requests get 401 and start nothing', async () => {
    const before = (await ranFor()).length;
    const secret = (await api<{ secret: string }>(relay, `/v1/endpoints/${endpoint.id}/secret`)).body.secret;
    const body = JSON.stringify({ type: 'order.forged' });
    const post = (headers: Record<string, string>) =>
      fetch(webhookUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    const at = (secondsAgo: number) => {
      const date = new Date(Date.now() - secondsAgo * 1000);
      const id = `evt_forged${secondsAgo}`;
      return {
        'webhook-id': id,
        'webhook-timestamp': String(Math.floor(date.getTime() / 1000)),
        'webhook-signature': new Webhook(secret).sign(id, date, body),
      };
    };
    const forgedKey = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
    const forged = { ...at(0), 'webhook-signature': new Webhook(forgedKey).sign('evt_forged0', new Date(), body) };
    for (const [what, headers] of [
      ['forged', forged],
      ['unsigned', {}],
      ['stale', at(600)],
    ] as const) {
      const res = await post(headers);
      assert.equal(res.status, 401, what);
      assert.match(((await res.json()) as { error: { code: string } }).error.code, /^signature_/);
    }
    // The same request correctly signed now goes through: the refusals were about the signature.
    const good = await post(at(0));
    assert.equal(good.status, 200);
    const ids = await waitForRuns(Array(before + 1).fill(''), 'the correctly signed request');
    assert.equal(ids.length, before + 1);
    assert.equal(ids.filter((id) => id === 'evt_forged0').length, 1);
  });

  it('two events sent while n8n is stopped run exactly once each after it restarts, with no manual step', async () => {
    const before = await ranFor();
    await n8n.stop();
    const whileDown = [
      await ingest(relay, { type: 'order.created', down: 1 }),
      await ingest(relay, { type: 'order.created', down: 2 }),
    ];
    // Each has had its first attempt refused and now waits an hour for the next.
    await waitFor(
      'the first attempts to fail',
      async () => {
        const rows = (await deliveries(relay, endpoint.id)).filter((d) => d.attempt_count === 1 && d.status === 'pending');
        return rows.length === 2;
      },
      MINUTE,
    );
    await n8n.start();
    const ids = await waitForRuns([...before, ...whileDown], 'the two events after the restart');
    for (const id of whileDown) assert.equal(ids.filter((x) => x === id).length, 1, id);
    assert.equal(ids.length, before.length + 2);
  });

  it('a replay of a delivered event runs no second execution', async () => {
    const [first] = await ranFor();
    const replay = await api<{ id: string }>(relay, `/v1/endpoints/${endpoint.id}/replay`, {
      method: 'POST',
      body: { event_id: first },
    });
    const done = await waitFor('the replay to be delivered', async () => {
      const row = (await deliveries(relay, endpoint.id)).find((d) => d.id === replay.body.id);
      return row?.status === 'succeeded' ? row : null;
    });
    assert.equal(done.attempts[0].status_code, 200);
    // A later event runs: everything before it has been handled, and the replay ran nothing.
    const marker = await ingest(relay, { type: 'order.marker' });
    const ids = await waitFor('the marker event', async () => {
      const list = await ranFor();
      return list.includes(marker) ? list : null;
    });
    assert.equal(ids.filter((id) => id === first).length, 1);
  });

  it('an event sent while the workflow is inactive runs once after re-activation', async () => {
    await n8n.api('POST', `/workflows/${workflowId}/deactivate`);
    assert.equal((await endpoints())[0].paused, true);
    const inactive = await ingest(relay, { type: 'order.created', inactive: true });
    const held = await waitFor('a held delivery', async () =>
      (await deliveries(relay, endpoint.id)).find((d) => d.status === 'pending'),
    );
    assert.equal(held.attempt_count, 0);
    await n8n.api('POST', `/workflows/${workflowId}/activate`);
    const ids = await waitFor('the held event', async () => {
      const list = await ranFor();
      return list.includes(inactive) ? list : null;
    });
    assert.equal(ids.filter((id) => id === inactive).length, 1);
    assert.equal((await endpoints()).length, 1, 'still one endpoint');
  });

  /** A workflow that runs `action` on each POST to its Webhook node and answers with the last node's output. */
  async function actionWorkflow(name: string, actions: ReturnType<typeof node>[]) {
    const path = `${name}-${randomUUID()}`;
    const hook = node(
      'Webhook',
      'n8n-nodes-base.webhook',
      { httpMethod: 'POST', path, responseMode: 'lastNode', options: {} },
      { webhookId: randomUUID(), typeVersion: 2 },
    );
    const flow = await n8n.api<{ id: string }>('POST', '/workflows', chain(name, [hook, ...actions]));
    await n8n.api('POST', `/workflows/${flow.id}/activate`);
    return async (body: unknown) => {
      const res = await fetch(`${n8n.url}/webhook/${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      assert.equal(res.status, 200, n8n.log.slice(-2000));
      return (await res.json()) as Record<string, unknown>;
    };
  }

  it('the action node completes an AI response against the test upstream, once per idempotency key', async () => {
    const ask = await actionWorkflow('ask', [
      node(
        'Ask',
        TYPE.action,
        {
          resource: 'aiResponse',
          operation: 'createAndWait',
          model: 'fake-model',
          input: '={{ $json.body.question }}',
          idempotencyKey: '={{ $json.body.key }}',
          timeout: 60,
        },
        { credentials: { hookrelayApi: credential } },
      ),
    ]);
    const key = randomUUID();
    const answer = await ask({ question: 'Say hello', key });
    assert.equal(answer.status, 'completed');
    assert.match(String(answer.id), /^resp_/);
    assert.equal(fake.requests.length, 1);
    assert.match(JSON.stringify(fake.requests[0].body?.messages), /Say hello/);
    const again = await ask({ question: 'Say hello', key });
    assert.equal(again.id, answer.id, 'the same key gives the same response');
    assert.equal(fake.requests.length, 1, 'and the upstream is not asked twice');
  });

  it('the action node sends an event the relay stores', async (t) => {
    const probe = await fetch(`${relay.url}/v1/events`, { method: 'POST', headers: relay.auth });
    if (probe.status === 404) {
      t.skip('this relay has no POST /v1/events yet (it comes with scoped keys)');
      return;
    }
    const send = await actionWorkflow('send', [
      node(
        'Send',
        TYPE.action,
        {
          resource: 'event',
          operation: 'send',
          source: 'dev',
          eventType: 'n8n.sent',
          payload: '={{ JSON.stringify($json.body) }}',
        },
        { credentials: { hookrelayApi: credential } },
      ),
    ]);
    const sent = await send({ order: 7 });
    const stored = await api<{ type: string; payload: unknown }>(relay, `/v1/events/${String(sent.id)}`);
    assert.equal(stored.status, 200);
    assert.equal(stored.body.type, 'n8n.sent');
    assert.deepEqual(stored.body.payload, { order: 7 });
  });

  it('the action node makes a batch from its input items and reads the results', async () => {
    const make = await actionWorkflow('batch', [
      node(
        'Make Batch',
        TYPE.action,
        { resource: 'batch', operation: 'create', model: 'fake-model', input: '={{ $json.body.question }}' },
        { credentials: { hookrelayApi: credential } },
      ),
    ]);
    const batch = await make({ question: 'One line please' });
    assert.match(String(batch.id), /^batch_/);
    await waitFor(
      'the batch to complete',
      async () => (await api<{ status: string }>(relay, `/v1/batches/${String(batch.id)}`)).body.status === 'completed',
      2 * MINUTE,
      200,
    );
    const read = await actionWorkflow('results', [
      node(
        'Results',
        TYPE.action,
        { resource: 'batch', operation: 'results', batchId: '={{ $json.body.batch }}' },
        { credentials: { hookrelayApi: credential } },
      ),
    ]);
    const line = await read({ batch: batch.id });
    assert.equal(line.custom_id, 'item-0');
    assert.equal((line.response as { status_code: number }).status_code, 200);
  });

  it('a hookrelay workflow starts an n8n workflow with the n8n.workflow step, signed, and gets its answer', async () => {
    const path = `called-${randomUUID()}`;
    const hook = node(
      'Webhook',
      'n8n-nodes-base.webhook',
      { httpMethod: 'POST', path, responseMode: 'lastNode', options: {} },
      { webhookId: randomUUID(), typeVersion: 2 },
    );
    const flow = await n8n.api<{ id: string }>('POST', '/workflows', chain('called', [hook]));
    await n8n.api('POST', `/workflows/${flow.id}/activate`);
    const secret = `whsec_${Buffer.alloc(32, 9).toString('base64')}`;
    const started = await api<{ id: string }>(relay, '/v1/workflows/call-n8n/runs', {
      method: 'POST',
      body: { event: { type: 'order.placed', payload: { url: `${n8n.url}/webhook/${path}`, secret, order: 'A-7' } } },
    });
    assert.equal(started.status, 201, JSON.stringify(started.body));
    const run = await waitFor(
      'the run to end',
      async () => {
        const got = await api<{ status: string; steps: Array<{ id: string; output: unknown; error?: unknown }> }>(
          relay,
          `/v1/runs/${started.body.id}`,
        );
        return got.body.status === 'succeeded' || got.body.status === 'failed' ? got.body : null;
      },
      MINUTE,
      200,
    );
    assert.equal(run.status, 'succeeded', JSON.stringify(run.steps));
    // n8n's Webhook node answers with what it received: the body, and the signed headers.
    const output = run.steps[0].output as {
      status: number;
      webhook_id: string;
      body: { body: unknown; headers: Record<string, string> };
    };
    assert.equal(output.status, 200);
    assert.deepEqual(output.body.body, { order: 'A-7' });
    assert.equal(output.webhook_id, `${started.body.id}:call`);
    assert.equal(output.body.headers['webhook-id'], `${started.body.id}:call`);
    const { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': signature } = output.body.headers;
    const verified = new Webhook(secret).verify(JSON.stringify({ order: 'A-7' }), {
      'webhook-id': id,
      'webhook-timestamp': timestamp,
      'webhook-signature': signature,
    });
    assert.deepEqual(verified, { order: 'A-7' });
  });
});
