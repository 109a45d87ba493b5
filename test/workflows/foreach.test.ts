import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startRelay, type TestRelay } from '../helpers/relay.ts';
import { waitFor } from '../helpers/wait.ts';
import { api } from './helpers.ts';
import { workflowDir } from './workflow-dir.ts';

const FANOUT = `
name: fanout
steps:
  - id: shout
    uses: http.request
    foreach: "{{ event.payload.words }}"
    concurrency: 3
    with: { method: POST, url: "{{ env.ITEMS_URL }}/shout", json: { word: "{{ item }}", at: "{{ index }}" } }
  - id: joined
    uses: transform
    with: { value: "{{ $join(steps.shout.output.body.upper, ' ') }}" }
`;

const FLAKY = `
name: flaky
steps:
  - id: each
    uses: http.request
    foreach: "{{ event.payload.words }}"
    continueOnError: {{ON_ERROR}}
    retry: { attempts: 2, backoff: fixed, delay: 10ms }
    with: { method: POST, url: "{{ env.ITEMS_URL }}/flaky", json: { word: "{{ item }}" } }
`;

type Item = {
  index: number;
  status: string;
  output: { body: { upper: string } } | null;
  error: string | null;
  attempts: number;
  started_at: string;
  ended_at: string;
};
type Run = {
  id: string;
  status: string;
  error: { step: string; message: string } | null;
  steps: Array<{ id: string; status: string; output: unknown; items?: Item[] }>;
};

describe('foreach: a step once per item, N at a time, each item with its own retries', () => {
  let relay: TestRelay;
  let server: ReturnType<typeof createServer>;
  const pending: Array<{ word: string; res: ServerResponse }> = [];
  let inFlight = 0;
  let maxInFlight = 0;
  let shouts = 0;
  const flakyAttempts = new Map<string, number>();
  const auth = () => relay.auth;

  before(async () => {
    // /shout holds answers until 3 are in flight (or every item has arrived): concurrency shows exactly.
    server = createServer(async (req, res) => {
      let body = '';
      for await (const chunk of req) body += chunk;
      const { word } = JSON.parse(body) as { word: string };
      const answer = (r: ServerResponse, w: string, status = 200) => {
        r.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ upper: w.toUpperCase() }));
      };
      if (req.url === '/hang') return; // never answered
      if (req.url === '/flaky') {
        const n = (flakyAttempts.get(word) ?? 0) + 1;
        flakyAttempts.set(word, n);
        // "again" succeeds on its second attempt; "never" always fails.
        return answer(res, word, word === 'never' || (word === 'again' && n === 1) ? 500 : 200);
      }
      shouts++;
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      pending.push({ word, res });
      if (pending.length === 3 || shouts === 7) {
        for (const p of pending.splice(0)) {
          inFlight--;
          answer(p.res, p.word);
        }
      }
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    process.env.ITEMS_URL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const dir = await workflowDir({
      'fanout.yaml': FANOUT,
      'flaky-continue.yaml': FLAKY.replace('{{ON_ERROR}}', 'true').replace('name: flaky', 'name: flaky-continue'),
      'hang.yaml': `name: hang
steps:
  - id: each
    uses: http.request
    foreach: "{{ [1, 2, 3, 4, 5] }}"
    concurrency: 2
    with: { method: POST, url: "{{ env.ITEMS_URL }}/hang", json: { word: "w{{ item }}" } }
`,
      'flaky-stop.yaml': FLAKY.replace('{{ON_ERROR}}', 'false').replace('name: flaky', 'name: flaky-stop'),
    });
    relay = await startRelay({ sections: { workflows: { dir, env: ['ITEMS_URL'], watch: false } } });
  });
  after(async () => {
    await relay.stop();
    server.closeAllConnections();
    server.close();
  });

  async function runToEnd(workflow: string, words: string[]): Promise<Run> {
    const started = await api<Run>(relay.url, `/v1/workflows/${workflow}/runs`, {
      method: 'POST',
      auth: auth(),
      body: { event: { type: 'words', payload: { words } } },
    });
    assert.equal(started.status, 201);
    return waitFor(`run of ${workflow} to finish`, async () => {
      const run = (await api<Run>(relay.url, `/v1/runs/${started.body.id}`, { auth: auth() })).body;
      return run.status === 'running' || run.status === 'queued' ? null : run;
    });
  }

  it('runs every item with item and index in scope, at most `concurrency` at once, outputs in order', async () => {
    const words = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
    const run = await runToEnd('fanout', words);
    assert.equal(run.status, 'succeeded');
    assert.equal(maxInFlight, 3);
    const step = run.steps.find((s) => s.id === 'shout');
    assert.deepEqual(
      ((step?.output ?? []) as Array<{ body: { upper: string } }>).map((o) => o.body.upper),
      words.map((w) => w.toUpperCase()),
    );
    assert.deepEqual(
      step?.items?.map((i) => [i.index, i.status, i.attempts, i.error]),
      words.map((_, i) => [i, 'succeeded', 1, null]),
    );
    for (const item of step?.items ?? []) assert.ok(Date.parse(item.ended_at) >= Date.parse(item.started_at));
    assert.deepEqual(run.steps.find((s) => s.id === 'joined')?.output, 'A B C D E F G');
  });

  it('retries each item on its own; continueOnError keeps the step succeeded with null for the failed item', async () => {
    const run = await runToEnd('flaky-continue', ['ok', 'again', 'never']);
    assert.equal(run.status, 'succeeded');
    const items = run.steps[0].items ?? [];
    assert.deepEqual(
      items.map((i) => [i.status, i.attempts]),
      [
        ['succeeded', 1],
        ['succeeded', 2],
        ['failed', 2],
      ],
    );
    assert.match(items[2].error ?? '', /answered 500/);
    assert.deepEqual(
      (run.steps[0].output as Array<{ body: { upper: string } } | null>).map((o) => o?.body.upper ?? null),
      ['OK', 'AGAIN', null],
    );
  });

  it('a failed item fails the step and the run without continueOnError', async () => {
    const run = await runToEnd('flaky-stop', ['never']);
    assert.equal(run.status, 'failed');
    assert.equal(run.error?.step, 'each');
    assert.match(run.error?.message ?? '', /^item 0 failed: POST .* answered 500/);
  });

  it('a foreach that is not an array fails the step with a clear message', async () => {
    const started = await api<Run>(relay.url, '/v1/workflows/fanout/runs', {
      method: 'POST',
      auth: auth(),
      body: { event: { type: 'words', payload: { words: 'not a list' } } },
    });
    const run = await waitFor('the run to fail', async () => {
      const r = (await api<Run>(relay.url, `/v1/runs/${started.body.id}`, { auth: auth() })).body;
      return r.status === 'failed' ? r : null;
    });
    assert.equal(run.error?.message, 'foreach: expected an array, got string');
  });

  it('cancelling a run stops its items: the running ones fail as cancelled, the others never start', async () => {
    const started = await api<Run>(relay.url, '/v1/workflows/hang/runs', { method: 'POST', auth: auth(), body: { event: {} } });
    await waitFor('two items in flight', async () => {
      const run = (await api<Run>(relay.url, `/v1/runs/${started.body.id}`, { auth: auth() })).body;
      return run.steps[0]?.items?.filter((i) => i.status === 'running').length === 2;
    });
    const cancelled = await api<Run>(relay.url, `/v1/runs/${started.body.id}/cancel`, { method: 'POST', auth: auth() });
    assert.equal(cancelled.body.status, 'cancelled');
    assert.deepEqual(
      cancelled.body.steps[0].items?.map((i) => [i.status, i.error]),
      [
        ['failed', 'cancelled'],
        ['failed', 'cancelled'],
        ['pending', null],
        ['pending', null],
        ['pending', null],
      ],
    );
  });

  it('refuses more than 10,000 items', async () => {
    const words = Array.from({ length: 10_001 }, (_, i) => `w${i}`);
    const started = await api<Run>(relay.url, '/v1/workflows/fanout/runs', {
      method: 'POST',
      auth: auth(),
      body: { event: { type: 'words', payload: { words } } },
    });
    const run = await waitFor('the run to fail', async () => {
      const r = (await api<Run>(relay.url, `/v1/runs/${started.body.id}`, { auth: auth() })).body;
      return r.status === 'failed' ? r : null;
    });
    assert.equal(run.error?.message, 'foreach: 10001 items, over the limit of 10000');
    assert.equal(run.steps[0].items, undefined);
  });
});
