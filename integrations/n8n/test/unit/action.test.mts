import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { api, createEndpoint, deliveries, ingest, TEST_SOURCES } from '../../../../test/delivery/setup.ts';
import { Receiver } from '../../../../test/delivery/receiver.ts';
import { ADMIN_TOKEN, startRelay, type TestRelay } from '../../../../test/helpers/relay.ts';
import { waitFor } from '../../../../test/helpers/wait.ts';
import { load } from './dist.mts';
import { n8nContext } from './n8n-context.mts';

type Json = Record<string, unknown>;
interface ActionNode {
  execute(this: unknown): Promise<Array<Array<{ json: Json }>>>;
}
const actionNode = () => new (load<{ Hookrelay: new () => ActionNode }>('nodes/Hookrelay/Hookrelay.node.js').Hookrelay)();

describe('the Hookrelay action node against a real relay', () => {
  let relay: TestRelay;
  let receiver: Receiver;
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hookrelay-n8n-wf-'));
    await writeFile(join(dir, 'hold.yaml'), 'name: hold\nsteps:\n  - id: wait\n    uses: delay\n    with: { for: 1h }\n');
    await writeFile(
      join(dir, 'echo.yaml'),
      'name: echo\nsteps:\n  - id: say\n    uses: log\n    with: { message: "{{ event.type }}" }\n',
    );
    relay = await startRelay({ sources: TEST_SOURCES, sections: { workflows: { dir, watch: false } } });
    receiver = await new Receiver().start();
  });
  after(async () => {
    await relay.stop();
    await receiver.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** Runs the node once with one input item per parameter set (the first one's resource and operation). */
  const run = async (...items: Json[]) => {
    const base = n8nContext({ relayUrl: relay.url, apiKey: ADMIN_TOKEN, webhookUrl: '' });
    const ctx = {
      ...base,
      getInputData: () => items.map(() => ({ json: {} })),
      getNodeParameter: (name: string, i: number, fallback?: unknown) => items[i]?.[name] ?? fallback,
      continueOnFail: () => false,
    };
    return (await actionNode().execute.call(ctx))[0].map((item) => item.json);
  };

  it('gets, gets raw and lists events by cursor', async () => {
    const ids = [
      await ingest(relay, { type: 'list.a', n: 1 }),
      await ingest(relay, { type: 'list.b' }),
      await ingest(relay, { type: 'list.c' }),
    ];
    const [got] = await run({ resource: 'event', operation: 'get', eventId: ids[0] });
    assert.equal(got.id, ids[0]);
    const [raw] = await run({ resource: 'event', operation: 'getRaw', eventId: ids[0] });
    assert.equal(raw.body, '{"type":"list.a","n":1}');
    assert.match(String(raw.content_type), /application\/json/);
    const listed = await run({ resource: 'event', operation: 'list', eventType: 'list.*', limit: 2 });
    assert.deepEqual(
      listed.map((e) => e.id),
      ids.slice(0, 2),
    );
    const rest = await run({ resource: 'event', operation: 'list', eventType: 'list.*', returnAll: true, after: ids[0] });
    assert.deepEqual(
      rest.map((e) => e.id),
      ids.slice(1),
    );
  });

  it('pauses, resumes, flushes, replays and retries deliveries', async () => {
    const endpoint = await createEndpoint(relay, { url: `${receiver.url}/act`, filter: { types: ['act.*'] } });
    const [paused] = await run({ resource: 'delivery', operation: 'pause', endpointId: endpoint.id });
    assert.equal(paused.paused, true);
    const eventId = await ingest(relay, { type: 'act.one' });
    await waitFor('a held delivery', async () => (await deliveries(relay, endpoint.id)).length === 1);
    const [resumed] = await run({ resource: 'delivery', operation: 'resume', endpointId: endpoint.id });
    assert.equal(resumed.paused, false);
    await waitFor('the delivery', () => receiver.received.some((r) => r.path === '/act'));
    const [flushed] = await run({ resource: 'delivery', operation: 'flush', endpointId: endpoint.id });
    assert.equal(flushed.object, 'flush');
    const [replay] = await run({ resource: 'delivery', operation: 'replay', endpointId: endpoint.id, eventId });
    assert.equal(replay.origin, 'replay');
    await waitFor('the replay', () => receiver.received.filter((r) => r.path === '/act').length === 2);
    const [retried] = await run({ resource: 'delivery', operation: 'retry', deliveryId: replay.id });
    assert.equal(retried.id, replay.id);
    await waitFor('the retry', () => receiver.received.filter((r) => r.path === '/act').length === 3);
  });

  it('runs a workflow, reads the run, cancels it and re-runs a finished one', async () => {
    const [started] = await run({
      resource: 'workflow',
      operation: 'run',
      workflowName: 'hold',
      eventType: 'job.start',
      payload: '{"n":1}',
    });
    assert.match(String(started.id), /^run_/);
    const [got] = await run({ resource: 'workflow', operation: 'getRun', runId: started.id });
    assert.equal(got.workflow, 'hold');
    const [cancelled] = await run({ resource: 'workflow', operation: 'cancel', runId: started.id });
    assert.equal(cancelled.id, started.id);
    await waitFor(
      'the cancel',
      async () => (await api<{ status: string }>(relay, `/v1/runs/${started.id}`)).body.status === 'cancelled',
    );
    const [rerun] = await run({ resource: 'workflow', operation: 'rerun', runId: started.id });
    assert.notEqual(rerun.id, started.id);
    await assert.rejects(() => run({ resource: 'workflow', operation: 'run', workflowName: 'missing' }), /404|not/i);
  });
});
