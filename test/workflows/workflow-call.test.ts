import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startRelay, type TestRelay } from '../helpers/relay.ts';
import { waitFor } from '../helpers/wait.ts';
import { api, startReceiver } from './helpers.ts';
import { workflowDir } from './workflow-dir.ts';

const FILES = {
  'parent.yaml': `
name: parent
steps:
  - id: price
    uses: workflow.call
    with: { workflow: pricing, input: { sku: "{{ event.payload.sku }}", qty: 3 } }
  - id: report
    uses: http.request
    with: { method: POST, url: "{{ env.SERVICE_URL }}/report", json: "{{ steps.price.output }}" }
`,
  'pricing.yaml': `
name: pricing
output: "{{ { 'sku': input.sku, 'total': steps.lookup.output.body.unit * input.qty } }}"
steps:
  - id: lookup
    uses: http.request
    with: { method: POST, url: "{{ env.SERVICE_URL }}/price", json: { sku: "{{ input.sku }}" } }
`,
  'last-step.yaml': `
name: last-step
steps:
  - id: call
    uses: workflow.call
    with: { workflow: echo, input: "{{ event.payload }}" }
`,
  'echo.yaml': `
name: echo
steps:
  - id: first
    uses: transform
    with: { value: ignored }
  - id: shout
    uses: transform
    with: { value: "{{ $uppercase(input.word) }}" }
`,
  'fails.yaml': `
name: fails
steps:
  - id: call
    uses: workflow.call
    with: { workflow: broken }
`,
  'broken.yaml': `
name: broken
steps:
  - id: boom
    uses: http.request
    with: { url: "{{ env.SERVICE_URL }}/missing" }
`,
  'deep.yaml': `
name: deep
steps:
  - id: again
    uses: workflow.call
    with: { workflow: deep }
`,
  'waits.yaml': `
name: waits
steps:
  - id: call
    uses: workflow.call
    with: { workflow: hangs }
`,
  'hangs.yaml': `
name: hangs
concurrency: 1
steps:
  - id: hold
    uses: wait.callback
    with: { timeout: 1h }
`,
};

type Run = {
  id: string;
  status: string;
  output?: unknown;
  input?: unknown;
  chain_depth: number;
  parent?: { run: string; step: string } | null;
  error: { step: string; message: string } | null;
  steps: Array<{ id: string; status: string; output?: unknown; child_run?: string; error?: string }>;
};

describe('workflow.call: a step runs another workflow and waits for its output', () => {
  let relay: TestRelay;
  let service: Awaited<ReturnType<typeof startReceiver>>;
  before(async () => {
    service = await startReceiver((req) =>
      req.url === '/missing' ? { status: 404, body: { error: 'no such thing' } } : { body: { unit: 7 } },
    );
    process.env.SERVICE_URL = service.url;
    const dir = await workflowDir(FILES);
    relay = await startRelay({ sections: { workflows: { dir, env: ['SERVICE_URL'], watch: false, maxChainDepth: 3 } } });
  });
  after(async () => {
    await relay.stop();
    await service.close();
  });

  const get = async (id: string) => (await api<Run>(relay.url, `/v1/runs/${id}`, { auth: relay.auth })).body;
  async function runToEnd(workflow: string, payload: unknown = {}): Promise<Run> {
    const started = await api<Run>(relay.url, `/v1/workflows/${workflow}/runs`, {
      method: 'POST',
      auth: relay.auth,
      body: { event: { payload } },
    });
    return waitFor(`the ${workflow} run to finish`, async () => {
      const run = await get(started.body.id);
      return ['succeeded', 'failed', 'cancelled'].includes(run.status) ? run : null;
    });
  }

  it("outputs the child's output: expression; the child sees input and names its parent", async () => {
    const run = await runToEnd('parent', { sku: 'A-1' });
    assert.equal(run.status, 'succeeded');
    const step = run.steps.find((s) => s.id === 'price');
    assert.deepEqual(step?.output, { sku: 'A-1', total: 21 });
    assert.deepEqual(service.received.find((r) => r.url === '/report')?.json, { sku: 'A-1', total: 21 });
    const child = await get(step?.child_run ?? '');
    assert.equal(child.status, 'succeeded');
    assert.deepEqual(child.input, { sku: 'A-1', qty: 3 });
    assert.deepEqual(child.parent, { run: run.id, step: 'price' });
    assert.equal(child.chain_depth, 1);
    assert.deepEqual(child.output, { sku: 'A-1', total: 21 });
  });

  it("without output: the child's last step's output", async () => {
    const run = await runToEnd('last-step', { word: 'hi' });
    assert.equal(run.steps[0].output, 'HI');
  });

  it("fails the step with the child's error", async () => {
    const run = await runToEnd('fails');
    assert.equal(run.status, 'failed');
    assert.equal(run.error?.step, 'call');
    assert.match(run.error?.message ?? '', /^workflow "broken" \(run run_\S+\) failed: boom: GET .*\/missing answered 404/);
  });

  it('stops a workflow that calls itself at workflows.maxChainDepth', async () => {
    const run = await runToEnd('deep');
    assert.equal(run.status, 'failed');
    // Three levels of children; the fourth call fails, and each parent fails with its child's error.
    assert.match(run.error?.message ?? '', /run chain is 4 deep, over workflows.maxChainDepth \(3\)/);
  });

  it('cancelling the parent cancels the child; a waiting child holds no slot', async () => {
    const started = await api<Run>(relay.url, '/v1/workflows/waits/runs', {
      method: 'POST',
      auth: relay.auth,
      body: { event: {} },
    });
    const second = await api<Run>(relay.url, '/v1/workflows/waits/runs', {
      method: 'POST',
      auth: relay.auth,
      body: { event: {} },
    });
    const children = await waitFor('both children to wait (hangs has concurrency 1)', async () => {
      const parents = await Promise.all([get(started.body.id), get(second.body.id)]);
      const ids = parents.map((p) => p.steps[0]?.child_run);
      if (ids.some((id) => !id)) return null;
      const kids = await Promise.all(ids.map((id) => get(id ?? '')));
      return kids.every((k) => k.status === 'waiting') && parents.every((p) => p.status === 'waiting') ? kids : null;
    });
    const cancelled = await api<Run>(relay.url, `/v1/runs/${started.body.id}/cancel`, { method: 'POST', auth: relay.auth });
    assert.equal(cancelled.status, 200);
    assert.equal(cancelled.body.status, 'cancelled');
    await waitFor('the child to be cancelled', async () => (await get(children[0].id)).status === 'cancelled');
    assert.equal((await get(children[1].id)).status, 'waiting');
    await api(relay.url, `/v1/runs/${second.body.id}/cancel`, { method: 'POST', auth: relay.auth });
  });

  it('re-running a child run gives it the same input', async () => {
    const run = await runToEnd('last-step', { word: 'again' });
    const childId = run.steps[0].child_run ?? '';
    const rerun = await api<Run>(relay.url, `/v1/runs/${childId}/rerun`, { method: 'POST', auth: relay.auth });
    assert.equal(rerun.status, 201);
    const done = await waitFor('the re-run to succeed', async () => {
      const r = await get(rerun.body.id);
      return r.status === 'succeeded' ? r : null;
    });
    assert.deepEqual(done.input, { word: 'again' });
    assert.equal(done.output, 'AGAIN');
    assert.equal(done.parent ?? null, null);
  });
});
