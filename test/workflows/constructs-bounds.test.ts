import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { startRelay, type TestRelay } from '../helpers/relay.ts';
import { waitFor } from '../helpers/wait.ts';
import { api } from './helpers.ts';
import { workflowDir } from './workflow-dir.ts';

// foreach, parallel, output: and secrets on a relay whose expressions are bounded and whose files are
// checked in a worker thread: every new construct keeps the expression bounds (and their code), the
// checker knows workflows.secrets, and a dry run understands the constructs.

/** Recurses until JSONata's depth guard stops it: fails at once, whatever the machine's speed. */
const TOO_DEEP = '( $f := function($n){ 1 + $f($n+1) }; $f(0) )';
const SECRET = 'merge-test-Secret-9f2c';
process.env.CONSTRUCTS_SECRET = SECRET;

const FILES = {
  'deep-list.yaml': `name: deep-list
steps:
  - id: each
    uses: transform
    foreach: "{{ ${TOO_DEEP} }}"
    with: { value: "{{ item }}" }
`,
  'deep-item.yaml': `name: deep-item
steps:
  - id: each
    uses: transform
    foreach: "{{ [1, 2, 3] }}"
    with: { value: "{{ item = 2 ? ${TOO_DEEP} : item }}" }
`,
  'deep-item-tolerated.yaml': `name: deep-item-tolerated
steps:
  - id: each
    uses: transform
    foreach: "{{ [1, 2] }}"
    continueOnError: true
    with: { value: "{{ item = 2 ? ${TOO_DEEP} : item }}" }
`,
  'deep-output.yaml': `name: deep-output
output: "{{ ${TOO_DEEP} }}"
steps:
  - id: one
    uses: transform
    with: { value: 1 }
`,
  'deep-branch.yaml': `name: deep-branch
steps:
  - id: both
    parallel:
      - id: fine
        uses: transform
        with: { value: 1 }
      - id: deep
        uses: transform
        with: { value: "{{ ${TOO_DEEP} }}" }
`,
  'known-secret.yaml': `name: known-secret
on: { source: app, type: order.created }
steps:
  - id: base
    uses: transform
    with: { value: "{{ event.payload.lines }}" }
  - id: group
    parallel:
      - id: count
        uses: transform
        with: { value: "{{ $count(steps.base.output) }}" }
      - id: notify
        uses: http.request
        with: { url: "https://hooks.example.com/x", headers: { authorization: "Bearer {{ secrets.CONSTRUCTS_SECRET }}" } }
  - id: lines
    uses: transform
    foreach: "{{ steps.base.output }}"
    with: { value: "{{ item.sku & ':' & index }}" }
  - id: post
    uses: http.request
    foreach: "{{ steps.lines.output }}"
    with: { url: "https://hooks.example.com/{{ item }}", json: { key: "{{ secrets.CONSTRUCTS_SECRET }}" } }
`,
  'unknown-secret.yaml': `name: unknown-secret
steps:
  - id: one
    uses: transform
    with: { value: "{{ secrets.NOT_LISTED }}" }
`,
};

type Run = {
  id: string;
  status: string;
  error?: { step: string; message: string; code?: string } | null;
  steps: Array<{ id: string; status: string; error?: string | null; items?: Array<{ status: string; code?: string }> }>;
};
type DryStep = { id: string; uses: string; status: string; group?: string; input: unknown; output: unknown };

describe('the workflow constructs keep the expression bounds, the checker and the dry run', () => {
  let dir: string;
  let relay: TestRelay;
  before(async () => {
    dir = await workflowDir(FILES);
    relay = await startRelay({
      sources: [{ name: 'app', insecure: true, verify: { scheme: 'none' } }],
      sections: { workflows: { dir, expressionMaxDepth: 300, secrets: ['CONSTRUCTS_SECRET'] } },
    });
  });
  after(async () => {
    await relay.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const finished = async (workflow: string): Promise<Run> => {
    const started = await api<Run>(relay.url, `/v1/workflows/${workflow}/runs`, {
      method: 'POST',
      auth: relay.auth,
      body: { event: { type: 'manual', payload: {} } },
    });
    assert.equal(started.status, 201);
    return waitFor(`the ${workflow} run to finish`, async () => {
      const run = (await api<Run>(relay.url, `/v1/runs/${started.body.id}`, { auth: relay.auth })).body;
      return ['succeeded', 'failed'].includes(run.status) ? run : undefined;
    });
  };
  const deeper = /nested deeper than 300 levels \(workflows\.expressionMaxDepth\)/;

  it('a runaway foreach list fails its step with expression_timeout, at the configured bound', async () => {
    const run = await finished('deep-list');
    assert.equal(run.status, 'failed');
    assert.equal(run.error?.code, 'expression_timeout');
    assert.equal(run.error?.step, 'each');
    assert.match(run.error?.message ?? '', /^foreach: expression_timeout: /);
    assert.match(run.error?.message ?? '', deeper);
  });

  it('a runaway item keeps its code on the item and on the run', async () => {
    const run = await finished('deep-item');
    assert.equal(run.status, 'failed');
    assert.equal(run.error?.code, 'expression_timeout');
    assert.match(run.error?.message ?? '', /^item 1 failed: with: expression_timeout: /);
    const items = run.steps[0].items ?? [];
    assert.equal(items[1].status, 'failed');
    assert.equal(items[1].code, 'expression_timeout');
    assert.equal(items[0].code, undefined);

    const tolerated = await finished('deep-item-tolerated');
    assert.equal(tolerated.status, 'succeeded');
    assert.deepEqual(
      tolerated.steps[0].items?.map((i) => [i.status, i.code ?? null]),
      [
        ['succeeded', null],
        ['failed', 'expression_timeout'],
      ],
    );
  });

  it('a runaway output: or parallel branch fails the run with expression_timeout', async () => {
    const output = await finished('deep-output');
    assert.equal(output.status, 'failed');
    assert.equal(output.error?.code, 'expression_timeout');
    assert.match(output.error?.message ?? '', /^output: expression_timeout: /);
    assert.match(output.error?.message ?? '', deeper);

    const branch = await finished('deep-branch');
    assert.equal(branch.status, 'failed');
    assert.deepEqual([branch.error?.step, branch.error?.code], ['deep', 'expression_timeout']);
  });

  it('the worker-thread checker knows workflows.secrets: a listed name loads, another is reported', async () => {
    const { body } = await api<{ data: Array<{ file: string; valid: boolean; errors: string[] }> }>(relay.url, '/v1/workflows', {
      auth: relay.auth,
    });
    const byFile = new Map(body.data.map((f) => [f.file, f]));
    assert.equal(byFile.get('known-secret.yaml')?.valid, true);
    assert.deepEqual(byFile.get('unknown-secret.yaml')?.errors, [
      'unknown-secret.yaml:5:21: secrets.NOT_LISTED is not allowed: list it under workflows.secrets in the config',
    ]);
  });

  it('a dry run walks parallel groups and foreach steps and redacts secrets', async () => {
    const ingested = await fetch(`${relay.url}/hooks/app`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'order.created', lines: [{ sku: 'a' }, { sku: 'b' }] }),
    });
    assert.equal(ingested.status, 200);
    const { id } = (await ingested.json()) as { id: string };
    const res = await api<{ status: string; steps: DryStep[] }>(relay.url, '/v1/workflows/known-secret/dry-run', {
      method: 'POST',
      auth: relay.auth,
      body: { event_id: id },
    });
    assert.equal(res.status, 200);
    assert.equal(res.body.status, 'succeeded');
    assert.deepEqual(
      res.body.steps.map((s) => [s.id, s.status, s.group ?? null]),
      [
        ['base', 'succeeded', null],
        ['count', 'succeeded', 'group'],
        ['notify', 'not_run', 'group'],
        ['lines', 'succeeded', null],
        ['post', 'not_run', null],
      ],
    );
    const [, count, notify, lines, post] = res.body.steps;
    assert.equal(count.output, 2);
    assert.deepEqual(lines.output, ['a:0', 'b:1']);
    assert.deepEqual(
      (post.input as Array<{ url: string; json: unknown }>).map((i) => [i.url, i.json]),
      [
        ['https://hooks.example.com/a:0', { key: '[secret:CONSTRUCTS_SECRET]' }],
        ['https://hooks.example.com/b:1', { key: '[secret:CONSTRUCTS_SECRET]' }],
      ],
    );
    assert.deepEqual((notify.input as { headers: unknown }).headers, { authorization: 'Bearer [secret:CONSTRUCTS_SECRET]' });
    assert.ok(!JSON.stringify(res.body).includes(SECRET), 'the secret value never leaves in the answer');
  });
});
