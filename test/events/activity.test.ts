import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Receiver } from '../delivery/receiver.ts';
import { api, createEndpoint, deliveries, ingest, TEST_SOURCES } from '../delivery/setup.ts';
import { type FakeOpenAI, startFakeOpenAI } from '../helpers/fake-openai.ts';
import { startRelay, type TestRelay } from '../helpers/relay.ts';
import { waitFor } from '../helpers/wait.ts';
import { workflowDir } from '../workflows/workflow-dir.ts';

const FILES = {
  'tag.yaml': `name: tag
on: { source: dev, type: order.created }
steps:
  - id: shape
    uses: transform
    with: { value: { total: "{{ event.payload.amount * 2 }}" } }
`,
  'notify.yaml': `name: notify
on: { source: dev, type: order.created, if: "{{ payload.amount > 100 }}" }
steps:
  - id: big
    uses: filter
    with: { condition: "{{ event.payload.amount > 3 }}" }
  - id: label
    uses: transform
    with: { value: "{{ 'order of ' & event.payload.amount }}" }
  - id: call
    uses: http.request
    with: { url: "{{ env.RECEIVER }}/notify", method: POST, json: { text: "{{ steps.label.output }}" } }
`,
  'ask.yaml': `name: ask
on: { source: dev, type: question }
steps:
  - id: answer
    uses: openai.responses.create
    with: { model: fake-1, input: "{{ event.payload.q }}" }
`,
  'shout.yaml': `name: shout
steps:
  - id: say
    uses: emit
    with: { type: shouted, payload: { loud: true } }
`,
};

interface Activity {
  object: string;
  request: { method: string | null; path: string | null; client_ip: string | null; size: number; internal: boolean };
  deliveries: Array<{
    id: string;
    endpoint_id: string;
    endpoint_url: string;
    origin: string;
    status: string;
    attempts: unknown[];
  }>;
  runs: Array<{ id: string; workflow: string; status: string; steps: Array<{ id: string }> }>;
  responses: unknown[];
  batches: unknown[];
}

interface DryRunJson {
  status: string;
  trigger: { matches: boolean };
  steps: Array<{ id: string; status: string; input: Record<string, unknown> | null; output: unknown }>;
}

describe('GET /v1/events/:id/activity and POST /v1/workflows/:name/dry-run', () => {
  let relay: TestRelay;
  let receiver: Receiver;
  let reader: string;
  let fake: FakeOpenAI;
  before(async () => {
    fake = await startFakeOpenAI();
    receiver = await new Receiver().start();
    process.env.RECEIVER = receiver.url;
    relay = await startRelay({
      sources: TEST_SOURCES,
      sections: {
        delivery: { scheduleSeconds: [0] },
        workflows: { dir: await workflowDir(FILES), watch: false, env: ['RECEIVER'] },
        ai: { upstreams: [{ name: 'local', baseURL: fake.baseURL, models: ['*'] }] },
      },
    });
    const created = await api<{ token: string }>(relay, '/v1/tokens', { method: 'POST', body: { name: 'reader' } });
    reader = created.body.token;
  });
  after(async () => {
    await relay?.stop();
    await receiver?.stop();
    await fake?.close();
    delete process.env.RECEIVER;
  });

  it('lists the request facts, every delivery (fan-out and replay) and every run an event caused', async () => {
    const endpoint = await createEndpoint(relay, { url: `${receiver.url}/orders`, filter: { types: ['order.*'] } });
    const other = await createEndpoint(relay, { url: `${receiver.url}/other`, filter: { types: ['nothing.*'] } });
    const body = JSON.stringify({ type: 'order.created', amount: 5 });
    const eventId = await ingest(relay, body);
    await waitFor(
      'the fan-out delivery to succeed',
      async () => (await deliveries(relay, endpoint.id))[0]?.status === 'succeeded',
    );
    const replay = await api<{ id: string }>(relay, `/v1/endpoints/${other.id}/replay`, {
      method: 'POST',
      body: { event_id: eventId },
    });
    assert.equal(replay.status, 202);

    const activity = await waitFor('the run and both deliveries', async () => {
      const res = await api<Activity>(relay, `/v1/events/${eventId}/activity`);
      const done = res.body.runs.length === 1 && res.body.runs[0].status === 'succeeded';
      return done && res.body.deliveries.every((d) => d.status === 'succeeded') && res.body.deliveries.length === 2
        ? res.body
        : null;
    });
    assert.equal(activity.object, 'event.activity');
    assert.equal(activity.request.method, 'POST');
    assert.equal(activity.request.path, '/hooks/dev');
    assert.equal(activity.request.size, Buffer.byteLength(body));
    assert.match(String(activity.request.client_ip), /127\.0\.0\.1/);
    assert.equal(activity.request.internal, false);
    assert.deepEqual(
      activity.deliveries.map((d) => [d.endpoint_id, d.origin, d.endpoint_url]),
      [
        [endpoint.id, 'event', `${receiver.url}/orders`],
        [other.id, 'replay', `${receiver.url}/other`],
      ],
    );
    assert.equal(activity.deliveries[0].attempts.length, 1);
    // `notify` is not triggered (its on.if is false for amount 5); `tag` is.
    assert.deepEqual(
      activity.runs.map((r) => [r.workflow, r.steps.map((s) => s.id)]),
      [['tag', ['shape']]],
    );
    assert.deepEqual(activity.responses, []);

    // Another event's activity does not include these.
    const quiet = await ingest(relay, { type: 'unrelated' });
    const none = await api<Activity>(relay, `/v1/events/${quiet}/activity`);
    assert.deepEqual([none.body.deliveries.length, none.body.runs.length], [0, 0]);
  });

  it('marks events the relay emitted itself as internal, with no client address', async () => {
    const run = await api<{ id: string }>(relay, '/v1/workflows/shout/runs', {
      method: 'POST',
      body: { event: { type: 'manual', payload: {} } },
    });
    assert.equal(run.status, 201);
    const emitted = await waitFor('the emit step', async () => {
      const r = await api<{ status: string; steps: Array<{ output?: { id?: string } }> }>(relay, `/v1/runs/${run.body.id}`);
      return r.body.status === 'succeeded' ? r.body.steps[0].output?.id : null;
    });
    const activity = await api<Activity>(relay, `/v1/events/${emitted}/activity`);
    assert.equal(activity.body.request.internal, true);
    assert.equal(activity.body.request.client_ip, null);
    assert.deepEqual([activity.body.request.method, activity.body.request.path], [null, null]);
  });

  it("links the relay's own AI events to the response they are about", async () => {
    const created = await api<{ id: string }>(relay, '/v1/responses', {
      method: 'POST',
      body: { model: 'fake-1', input: 'hello', background: true },
    });
    assert.equal(created.status, 200);
    const completed = await waitFor('the response.completed event', async () => {
      const page = await api<{ data: Array<{ id: string; type: string; payload: { data: { id: string } } }> }>(
        relay,
        '/v1/events?source=ai&limit=100',
      );
      return page.body.data.find((e) => e.type === 'response.completed' && e.payload.data.id === created.body.id);
    });
    const activity = await api<Activity>(relay, `/v1/events/${completed.id}/activity`);
    assert.deepEqual(activity.body.responses, [
      { id: created.body.id, object: 'response', status: 'completed', model: 'fake-1' },
    ]);
    assert.equal(activity.body.request.internal, true);
  });

  it('lists the AI response a workflow run made from the event', async () => {
    const eventId = await ingest(relay, { type: 'question', q: 'why?' });
    const activity = await waitFor('the run to finish', async () => {
      const a = (await api<Activity>(relay, `/v1/events/${eventId}/activity`)).body;
      return a.runs[0]?.status === 'succeeded' ? a : null;
    });
    const run = await api<{ steps: Array<{ output: { id: string } }> }>(relay, `/v1/runs/${activity.runs[0].id}`);
    const responseId = run.body.steps[0].output.id;
    assert.match(responseId, /^resp_/);
    assert.deepEqual(activity.responses, [{ id: responseId, object: 'response', status: 'completed', model: 'fake-1' }]);
  });

  it('refuses subscriber tokens and answers 404 for unknown events', async () => {
    const eventId = await ingest(relay, { type: 'order.created', amount: 1 });
    const refused = await fetch(`${relay.url}/v1/events/${eventId}/activity`, { headers: { authorization: `Bearer ${reader}` } });
    assert.equal(refused.status, 403);
    const anonymous = await fetch(`${relay.url}/v1/events/${eventId}/activity`);
    assert.equal(anonymous.status, 401);
    const missing = await api<{ error: { code: string } }>(relay, '/v1/events/evt_nope/activity');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, 'not_found');
  });

  it('dry-runs a workflow against a stored event: pure steps run, side effects do not, nothing is stored', async () => {
    const eventId = await ingest(relay, { type: 'order.created', amount: 7 });
    // The event's own delivery (the order.* endpoint of the first test) must have arrived before the
    // receiver is counted, or it lands during the dry run and looks like a request the dry run made.
    await waitFor('the triggered tag run and the endpoint delivery', async () => {
      const activity = (await api<Activity>(relay, `/v1/events/${eventId}/activity`)).body;
      return activity.runs.length === 1 && activity.deliveries.length === 1 && activity.deliveries[0].status === 'succeeded';
    });
    const before = receiver.received.length;
    const runsBefore = (await api<{ data: unknown[] }>(relay, '/v1/runs?workflow=notify')).body.data.length;

    const res = await api<DryRunJson>(relay, '/v1/workflows/notify/dry-run', { method: 'POST', body: { event_id: eventId } });
    assert.equal(res.status, 200);
    assert.equal(res.body.trigger.matches, false, 'on.if (amount > 100) is false');
    assert.equal(res.body.status, 'succeeded');
    assert.deepEqual(
      res.body.steps.map((s) => [s.id, s.status]),
      [
        ['big', 'succeeded'],
        ['label', 'succeeded'],
        ['call', 'not_run'],
      ],
    );
    assert.equal(res.body.steps[1].output, 'order of 7');
    assert.deepEqual(res.body.steps[2].input, { url: `${receiver.url}/notify`, method: 'POST', json: { text: 'order of 7' } });

    assert.equal(receiver.received.length, before, 'no request left the relay');
    assert.equal(
      (await api<{ data: unknown[] }>(relay, '/v1/runs?workflow=notify')).body.data.length,
      runsBefore,
      'no run stored',
    );
    assert.deepEqual((await api<Activity>(relay, `/v1/events/${eventId}/activity`)).body.runs.length, 1);

    const small = await ingest(relay, { type: 'order.created', amount: 2 });
    const filtered = await api<DryRunJson>(relay, '/v1/workflows/notify/dry-run', { method: 'POST', body: { event_id: small } });
    assert.equal(filtered.body.status, 'filtered');
    assert.deepEqual(
      filtered.body.steps.map((s) => s.status),
      ['filtered'],
    );
  });

  it('refuses bad dry-run requests and subscriber tokens', async () => {
    const eventId = await ingest(relay, { type: 'order.created', amount: 9 });
    const cases: Array<[string, unknown, number, string]> = [
      ['/v1/workflows/notify/dry-run', {}, 400, 'invalid_request'],
      ['/v1/workflows/notify/dry-run', { event_id: 'evt_missing' }, 404, 'not_found'],
      ['/v1/workflows/nope/dry-run', { event_id: eventId }, 404, 'workflow_not_found'],
    ];
    for (const [path, body, status, code] of cases) {
      const res = await api<{ error: { code: string } }>(relay, path, { method: 'POST', body });
      assert.deepEqual([res.status, res.body.error.code], [status, code], path);
    }
    const refused = await fetch(`${relay.url}/v1/workflows/notify/dry-run`, {
      method: 'POST',
      headers: { authorization: `Bearer ${reader}`, 'content-type': 'application/json' },
      body: JSON.stringify({ event_id: eventId }),
    });
    assert.equal(refused.status, 403);
  });
});
