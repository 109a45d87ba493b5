import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { eventsApi } from '../../server/events/subsystem.ts';
import { startRelay, type TestRelay } from '../helpers/relay.ts';
import { waitFor } from '../helpers/wait.ts';
import { api, FakeClock, startReceiver } from './helpers.ts';
import { workflowDir } from './workflow-dir.ts';

type Run = {
  id: string;
  status: string;
  trigger_event_id: string;
  steps: Array<{ id: string; status: string; output: unknown; error?: string }>;
};

const FILES = {
  'count.yaml': `name: count
on: { source: manual, type: tick }
steps:
  - id: seen
    uses: transform
    with: { value: "{{ event.payload.n }}" }
`,
  'wait.yaml': `name: lookback
steps:
  - id: wait
    uses: wait.event
    with: { source: manual, type: ready, match: "awaited.payload.key = event.payload.key", timeout: 1m, lookback: 30s }
`,
  'fetch.yaml': `name: metadata
steps:
  - id: call
    uses: http.request
    with: { url: "http://169.254.169.254/latest/meta-data/" }
`,
  'denied.yaml': `name: denied
steps:
  - id: call
    uses: http.request
    with: { url: "{{ event.payload.url }}" }
`,
};

describe('triggers: at most one run per event and workflow, replayed after a crash', () => {
  let dataDir: string;
  let dir: string;
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'hookrelay-triggers-'));
    dir = await workflowDir(FILES);
  });
  after(async () => {
    await rm(dataDir, { recursive: true, force: true });
    await rm(dir, { recursive: true, force: true });
  });
  const sections = () => ({ workflows: { dir, watch: false } });
  const runs = async (relay: TestRelay) =>
    (await api<{ data: Run[] }>(relay.url, '/v1/workflows/count/runs', { auth: relay.auth })).body.data;

  it('starts runs for events stored while the workflow engine was not running', async () => {
    const first = await startRelay({ dataDir, sections: sections() });
    const e1 = await first.relay.ctx.eventService.emit({ source: 'manual', type: 'tick', payload: { n: 1 } });
    await waitFor('the first run', async () => (await runs(first)).length === 1);
    await first.stop();

    // The same data dir without the workflow engine: an event is stored, no run starts (as in a crash).
    const bare = await startRelay({ dataDir, sections: sections(), subsystems: [eventsApi] });
    const e2 = await bare.relay.ctx.eventService.emit({ source: 'manual', type: 'tick', payload: { n: 2 } });
    await bare.stop();

    const again = await startRelay({ dataDir, sections: sections() });
    try {
      const all = await waitFor('the replayed run', async () => {
        const list = await runs(again);
        return list.length === 2 && list.every((r) => r.status === 'succeeded') ? list : null;
      });
      assert.deepEqual(all.map((r) => r.trigger_event_id).sort(), [e1.id, e2.id].sort());
    } finally {
      await again.stop();
    }
  });
});

describe('wait.event lookback and the destination policy, against a real relay', () => {
  let relay: TestRelay;
  const clock = new FakeClock();
  let dir: string;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  before(async () => {
    dir = await workflowDir(FILES);
    receiver = await startReceiver();
    relay = await startRelay({
      clock,
      sections: { workflows: { dir, watch: false }, delivery: { destinations: { deny: ['loopback'] } } },
    });
  });
  after(async () => {
    await relay.stop();
    await receiver.close();
    await rm(dir, { recursive: true, force: true });
  });
  const start = async (key: string) =>
    (
      await api<Run>(relay.url, '/v1/workflows/lookback/runs', {
        method: 'POST',
        body: { event: { payload: { key } } },
        auth: relay.auth,
      })
    ).body;
  const get = async (id: string) => (await api<Run>(relay.url, `/v1/runs/${id}`, { auth: relay.auth })).body;

  it('matches an event that arrived within the lookback window before the wait began', async () => {
    const ready = await relay.relay.ctx.eventService.emit({ source: 'manual', type: 'ready', payload: { key: 'early' } });
    clock.advance(20_000);
    const run = await start('early');
    const done = await waitFor('the run', async () => {
      const r = await get(run.id);
      return r.status === 'succeeded' ? r : null;
    });
    assert.equal((done.steps[0].output as { id: string }).id, ready.id);
  });

  it('ignores an event older than the lookback window and returns null on timeout', async () => {
    await relay.relay.ctx.eventService.emit({ source: 'manual', type: 'ready', payload: { key: 'old' } });
    clock.advance(40_000);
    const run = await start('old');
    await waitFor('the wait', async () => (await get(run.id)).status === 'waiting');
    clock.advance(60_000);
    const done = await waitFor('the timeout', async () => {
      const r = await get(run.id);
      return r.status === 'succeeded' ? r : null;
    });
    assert.equal(done.steps[0].output, null);
  });

  it('refuses a cloud metadata address in http.request', async () => {
    const run = (
      await api<Run>(relay.url, '/v1/workflows/metadata/runs', { method: 'POST', body: { event: {} }, auth: relay.auth })
    ).body;
    const failed = await waitFor('the refusal', async () => {
      const r = await get(run.id);
      return r.status === 'failed' ? r : null;
    });
    assert.match(failed.steps[0].error ?? '', /Destination refused: 169\.254\.169\.254 is a cloud metadata address/);
  });

  it('applies the delivery destination policy (delivery.destinations) to http.request', async () => {
    const body = { event: { payload: { url: `${receiver.url}/x` } } };
    const run = (await api<Run>(relay.url, '/v1/workflows/denied/runs', { method: 'POST', body, auth: relay.auth })).body;
    const failed = await waitFor('the refusal', async () => {
      const r = await get(run.id);
      return r.status === 'failed' ? r : null;
    });
    assert.match(failed.steps[0].error ?? '', /Destination refused: 127\.0\.0\.1 .*delivery\.destinations\.deny/);
    assert.equal(receiver.received.length, 0);
  });
});
