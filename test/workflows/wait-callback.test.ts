import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startRelay, type TestRelay } from '../helpers/relay.ts';
import { waitFor } from '../helpers/wait.ts';
import { api, startReceiver } from './helpers.ts';
import { workflowDir } from './workflow-dir.ts';

// Seed 000's pattern: a step hands a service the run's callback URL, wait.callback carries on when the
// service POSTs to it. The receiver plays the service.

const WORKFLOW = `
name: job
concurrency: 1
steps:
  - id: submit
    uses: http.request
    with: { method: POST, url: "{{ env.SERVICE_URL }}/jobs", json: { webhook_url: "{{ run.callback_url }}", mode: "{{ event.payload.mode }}" } }
  - id: done
    uses: wait.callback
    with: { timeout: 1h }
  - id: notify
    uses: http.request
    with: { method: POST, url: "{{ env.SERVICE_URL }}/notify", json: { result: "{{ steps.done.output.body.result }}", tag: "{{ steps.done.output.headers.\`x-tag\` }}" } }
`;

type Step = {
  id: string;
  status: string;
  waiting?: boolean;
  callback_url?: string;
  output?: { body: unknown; headers: Record<string, string>; received_at: string };
};
type Run = { id: string; status: string; steps: Step[] };

describe('wait.callback: a run waits for a POST to its callback URL', () => {
  let relay: TestRelay;
  let service: Awaited<ReturnType<typeof startReceiver>>;
  const callbackOf = (mode: string) =>
    service.received.find((r) => r.url === '/jobs' && (r.json as { mode: string }).mode === mode);

  before(async () => {
    service = await startReceiver((req) => {
      const job = req.json as { webhook_url: string; mode: string } | null;
      // "early": the service calls back before it even answers the job request.
      if (req.url === '/jobs' && job?.mode === 'early') {
        void fetch(job.webhook_url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-tag': 'early' },
          body: JSON.stringify({ result: 'fast' }),
        });
      }
      return {};
    });
    process.env.SERVICE_URL = service.url;
    const dir = await workflowDir({ 'job.yaml': WORKFLOW });
    relay = await startRelay({ sections: { workflows: { dir, env: ['SERVICE_URL'], watch: false } } });
  });
  after(async () => {
    await relay.stop();
    await service.close();
  });

  const start = async (mode: string) =>
    (
      await api<Run>(relay.url, '/v1/workflows/job/runs', {
        method: 'POST',
        auth: relay.auth,
        body: { event: { payload: { mode } } },
      })
    ).body;
  const get = async (id: string) => (await api<Run>(relay.url, `/v1/runs/${id}`, { auth: relay.auth })).body;
  const callback = (url: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

  it('shows the wait with its URL, holds no slot, resumes on the callback; a second one is 409, a late one 410', async () => {
    const first = await start('slow');
    const second = await start('slow');
    // concurrency: 1, yet both runs wait at once: a waiting run holds no slot.
    const waiting = await waitFor('both runs to wait', async () => {
      const runs = await Promise.all([get(first.id), get(second.id)]);
      return runs.every((r) => r.status === 'waiting') ? runs : null;
    });
    const done = waiting[0].steps.find((s) => s.id === 'done');
    assert.equal(done?.waiting, true);
    const given = await waitFor('the job request', () => callbackOf('slow'));
    const url = (given.json as { webhook_url: string }).webhook_url;
    assert.equal(done?.callback_url, url);
    assert.match(url, new RegExp(`^${relay.url}/callbacks/[A-Za-z0-9_-]{20,}/done$`));
    assert.notEqual(waiting[1].steps.find((s) => s.id === 'done')?.callback_url, url);

    const ok = await callback(url, { result: 42 }, { 'x-tag': 'first', authorization: 'Bearer not-kept' });
    assert.equal(ok.status, 200);
    assert.deepEqual(Object.keys(await ok.json()).sort(), ['object', 'received_at', 'run', 'step']);
    const again = await callback(url, { result: 43 });
    assert.equal(again.status, 409);
    assert.equal(((await again.json()) as { error: { code: string } }).error.code, 'callback_already_received');

    const run = await waitFor('the run to succeed', async () => {
      const r = await get(first.id);
      return r.status === 'succeeded' ? r : null;
    });
    const output = run.steps.find((s) => s.id === 'done')?.output;
    assert.deepEqual(output?.body, { result: 42 });
    assert.equal(output?.headers['x-tag'], 'first');
    assert.equal(output?.headers.authorization, undefined);
    assert.ok(Date.parse(output?.received_at ?? ''));
    assert.equal(run.steps.find((s) => s.id === 'done')?.waiting, false);
    const notify = service.received.find((r) => r.url === '/notify');
    assert.deepEqual(notify?.json, { result: 42, tag: 'first' });

    const late = await callback(url, { result: 44 });
    assert.equal(late.status, 410);
    assert.equal(((await late.json()) as { error: { code: string } }).error.code, 'callback_run_finished');
    assert.equal((await get(second.id)).status, 'waiting');
  });

  it('takes a callback that arrived before the wait started', async () => {
    const run = await start('early');
    const done = await waitFor('the run to succeed', async () => {
      const r = await get(run.id);
      return r.status === 'succeeded' ? r : null;
    });
    assert.deepEqual(done.steps.find((s) => s.id === 'done')?.output?.body, { result: 'fast' });
  });

  it('refuses a guessed token, a step that is not a wait.callback, and a non-JSON body labelled JSON', async () => {
    const given = await waitFor('a job request', () => callbackOf('slow'));
    const url = new URL((given.json as { webhook_url: string }).webhook_url);
    const token = url.pathname.split('/')[2];
    const guessed = await callback(`${relay.url}/callbacks/${token.slice(0, -2)}xx/done`, {});
    assert.equal(guessed.status, 404);
    assert.equal(((await guessed.json()) as { error: { code: string } }).error.code, 'callback_not_found');
    const notAWait = await callback(`${relay.url}/callbacks/${token}/submit`, {});
    assert.equal(notAWait.status, 404);
    const bad = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{nope' });
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { error: { code: string } }).error.code, 'invalid_json');
  });

  it('refuses a callback body over limits.jsonBodyBytes or limits.jsonDepth, and stores nothing', async () => {
    const jobs = () => service.received.filter((r) => r.url === '/jobs');
    const before = jobs().length;
    const run = await start('slow');
    const given = await waitFor('the job request of this run', () => jobs()[before]);
    const url = (given.json as { webhook_url: string }).webhook_url;
    const big = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'x'.repeat(1024 * 1024 + 1),
    });
    assert.equal(big.status, 413);
    assert.equal(((await big.json()) as { error: { code: string } }).error.code, 'payload_too_large');
    const deep = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: `${'['.repeat(257)}${']'.repeat(257)}`,
    });
    assert.equal(deep.status, 400);
    assert.equal(((await deep.json()) as { error: { code: string } }).error.code, 'json_too_deep');
    const ok = await callback(url, { result: 'small' });
    assert.equal(ok.status, 200);
    const done = await waitFor('the run to succeed', async () => {
      const r = await get(run.id);
      return r.status === 'succeeded' ? r : null;
    });
    assert.deepEqual(done.steps.find((s) => s.id === 'done')?.output?.body, { result: 'small' });
  });
});
