import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { delivery } from '../../server/delivery/subsystem.ts';
import { defaultSubsystems } from '../../server/subsystems.ts';
import { startRelay, type TestRelay } from '../helpers/relay.ts';
import { waitFor } from '../helpers/wait.ts';
import { api, FakeClock, startReceiver } from './helpers.ts';
import { workflowDir } from './workflow-dir.ts';

type Step = { id: string; status: string; attempts: number; error?: string; output?: unknown; wake_at?: string | null };
type Run = {
  id: string;
  status: string;
  workflow: string;
  rerun_of?: string;
  error?: { step: string; message: string };
  steps: Step[];
};

const FILES = {
  'flaky.yaml': `
name: flaky
steps:
  - id: call
    uses: http.request
    retry: { attempts: 3, backoff: exponential, delay: 10s, maxDelay: 1m }
    with: { method: POST, url: "{{ env.TARGET }}/flaky", json: { n: "{{ event.payload.n }}" } }
`,
  'slow.yaml': `
name: slow
steps:
  - id: call
    uses: http.request
    timeout: 5s
    retry: { attempts: 2, backoff: fixed, delay: 1s }
    with: { url: "{{ env.TARGET }}/hang" }
onError:
  - id: note
    uses: transform
    with: { value: "{{ error.step & ': ' & error.message }}" }
`,
  'gate.yaml': `
name: gate
concurrency: 1
steps:
  - id: wait
    uses: wait.event
    with: { source: manual, type: open, match: "awaited.payload.key = event.payload.key", timeout: 1h }
  - id: seen
    uses: transform
    with: { value: "{{ steps.wait.output.payload.key }}" }
`,
  'ping.yaml': `
name: ping
on: { source: workflow, type: ping }
steps:
  - id: again
    uses: emit
    with: { type: ping, payload: { hop: "{{ run.chain_depth + 1 }}" } }
`,
};

describe('workflow runs: retry, timeout, onError, cancel, re-run, concurrency, chain depth', () => {
  let relay: TestRelay;
  let target: Awaited<ReturnType<typeof startReceiver>>;
  const clock = new FakeClock();
  let flakyCalls = 0;

  before(async () => {
    target = await startReceiver((req) => {
      if (req.url === '/flaky') return ++flakyCalls < 3 ? { status: 503 } : { body: { ok: true } };
      return req.url === '/hang' ? null : {};
    });
    process.env.TARGET = target.url;
    const dir = await workflowDir(FILES);
    relay = await startRelay({ clock, sections: { workflows: { dir, env: ['TARGET'], maxChainDepth: 3, watch: false } } });
  });
  after(async () => {
    await relay.stop();
    target.server.closeAllConnections();
    await target.close();
  });

  const manual = async (workflow: string, event: unknown) => {
    const res = await api<Run>(relay.url, `/v1/workflows/${workflow}/runs`, {
      method: 'POST',
      body: { event },
      auth: relay.auth,
    });
    assert.equal(res.status, 201);
    return res.body;
  };
  const get = async (id: string) => (await api<Run>(relay.url, `/v1/runs/${id}`, { auth: relay.auth })).body;
  const until = (id: string, what: string, check: (run: Run) => boolean) =>
    waitFor(what, async () => {
      const run = await get(id);
      return check(run) ? run : null;
    });

  it('retries a failing step with exponential backoff until it succeeds', async () => {
    const run = await manual('flaky', { type: 'x', payload: { n: 1 } });
    const t0 = clock.now();
    await until(run.id, 'the first retry to be scheduled', (r) => r.steps[0]?.wake_at === new Date(t0 + 10_000).toISOString());
    clock.advance(10_000);
    await until(run.id, 'the second retry, 20 s later', (r) => r.steps[0]?.wake_at === new Date(t0 + 30_000).toISOString());
    assert.equal(flakyCalls, 2);
    clock.advance(10_000);
    assert.equal(flakyCalls, 2, 'the second retry waits 20 s, not 10 s');
    clock.advance(10_000);
    const done = await until(run.id, 'success', (r) => r.status === 'succeeded');
    assert.equal(done.steps[0].attempts, 3);
    assert.deepEqual((done.steps[0].output as { body: unknown }).body, { ok: true });
  });

  it('times out each attempt, then fails the run and runs onError with the error', async () => {
    const run = await manual('slow', { type: 'x' });
    await until(run.id, 'the first attempt to be running', (r) => r.steps[0]?.attempts === 1);
    await waitFor('the request to arrive', () => target.received.filter((r) => r.url === '/hang').length === 1);
    clock.advance(5_000);
    await until(run.id, 'the first attempt to time out', (r) => /timed out/.test(r.steps[0]?.error ?? ''));
    clock.advance(1_000);
    await waitFor('the second attempt', () => target.received.filter((r) => r.url === '/hang').length === 2);
    clock.advance(5_000);
    const failed = await until(run.id, 'failure', (r) => r.status === 'failed');
    assert.equal(failed.steps[0].attempts, 2);
    assert.match(failed.steps[0].error ?? '', /timed out after 5000 ms/);
    assert.deepEqual(failed.error, { step: 'call', message: failed.steps[0].error });
    const note = failed.steps.find((s) => s.id === 'note');
    assert.equal(note?.output, `call: ${failed.steps[0].error}`);
  });

  it('does not count waiting runs against the concurrency limit, and cancel aborts the wait', async () => {
    const a = await manual('gate', { type: 'x', payload: { key: 'a' } });
    const b = await manual('gate', { type: 'x', payload: { key: 'b' } });
    await until(a.id, 'a waiting', (r) => r.status === 'waiting');
    await until(b.id, 'b waiting while a also waits (limit 1)', (r) => r.status === 'waiting');
    const cancelled = await api<Run>(relay.url, `/v1/runs/${b.id}/cancel`, { method: 'POST', auth: relay.auth });
    assert.equal(cancelled.body.status, 'cancelled');
    const again = await api<{ error: { code: string } }>(relay.url, `/v1/runs/${b.id}/cancel`, {
      method: 'POST',
      auth: relay.auth,
    });
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'run_finished');
    await relay.relay.ctx.eventService.emit({ source: 'manual', type: 'open', payload: { key: 'a' } });
    const done = await until(a.id, 'a released', (r) => r.status === 'succeeded');
    assert.equal(done.steps[1].output, 'a');
  });

  it('re-runs a finished run as a new run of the same event', async () => {
    const first = await manual('gate', { type: 'x', payload: { key: 'r' } });
    await until(first.id, 'waiting', (r) => r.status === 'waiting');
    const early = await api<{ error: { code: string } }>(relay.url, `/v1/runs/${first.id}/rerun`, {
      method: 'POST',
      auth: relay.auth,
    });
    assert.equal(early.body.error.code, 'run_not_finished');
    await relay.relay.ctx.eventService.emit({ source: 'manual', type: 'open', payload: { key: 'r' } });
    await until(first.id, 'done', (r) => r.status === 'succeeded');
    clock.advance(1000); // the earlier `open` event is then strictly before the re-run's wait
    const rerun = await api<Run>(relay.url, `/v1/runs/${first.id}/rerun`, { method: 'POST', auth: relay.auth });
    assert.equal(rerun.status, 201);
    assert.equal(rerun.body.rerun_of, first.id);
    // The earlier `open` event is before this run started and there is no lookback: it waits again.
    await until(rerun.body.id, 'the re-run to wait', (r) => r.status === 'waiting');
    await relay.relay.ctx.eventService.emit({ source: 'manual', type: 'open', payload: { key: 'r' } });
    await until(rerun.body.id, 're-run done', (r) => r.status === 'succeeded');
  });

  it('fails an emit loop once the run chain is deeper than workflows.maxChainDepth', async () => {
    await relay.relay.ctx.eventService.emit({ source: 'workflow', type: 'ping', payload: { hop: 0 } });
    const failed = await waitFor('a run to fail on chain depth', async () => {
      const list = await api<{ data: Run[] }>(relay.url, '/v1/workflows/ping/runs?status=failed', { auth: relay.auth });
      return list.body.data[0];
    });
    assert.match(failed.error?.message ?? '', /chain is 4 deep, over workflows.maxChainDepth \(3\)/);
    const all = await api<{ data: Run[] }>(relay.url, '/v1/workflows/ping/runs', { auth: relay.auth });
    assert.equal(all.body.data.length, 4);
  });

  it('answers unknown workflows and runs with coded 404s', async () => {
    const noWorkflow = await api<{ error: { code: string } }>(relay.url, '/v1/workflows/nope/runs', {
      method: 'POST',
      body: { event: {} },
      auth: relay.auth,
    });
    assert.equal(noWorkflow.status, 404);
    assert.equal(noWorkflow.body.error.code, 'workflow_not_found');
    const noRun = await api<{ error: { code: string } }>(relay.url, '/v1/runs/run_nope', { auth: relay.auth });
    assert.equal(noRun.body.error.code, 'run_not_found');
  });
});

describe('a relay without the delivery engine', () => {
  it('fails a deliver step with a message that names the missing service', async () => {
    const dir = await workflowDir({
      'deliver.yaml': 'name: deliver-it\nsteps:\n  - id: send\n    uses: deliver\n    with: { endpoint: ep_1 }\n',
    });
    const relay = await startRelay({
      subsystems: defaultSubsystems.filter((factory) => factory !== delivery),
      sections: { workflows: { dir, watch: false } },
    });
    try {
      const event = await relay.relay.ctx.eventService.emit({ source: 'manual', type: 'x', payload: {} });
      const res = await api<Run>(relay.url, '/v1/workflows/deliver-it/runs', {
        method: 'POST',
        body: { event_id: event.id },
        auth: relay.auth,
      });
      const failed = await waitFor('failure', async () => {
        const run = (await api<Run>(relay.url, `/v1/runs/${res.body.id}`, { auth: relay.auth })).body;
        return run.status === 'failed' ? run : null;
      });
      assert.match(failed.steps[0].error ?? '', /no delivery engine \(service "delivery" is not provided\)/);
    } finally {
      await relay.stop();
    }
  });
});
