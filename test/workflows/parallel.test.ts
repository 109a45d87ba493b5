import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startRelay, type TestRelay } from '../helpers/relay.ts';
import { waitFor } from '../helpers/wait.ts';
import { api } from './helpers.ts';
import { workflowDir } from './workflow-dir.ts';

const FILES = {
  'both.yaml': `
name: both
steps:
  - id: media
    parallel:
      - id: thumb
        uses: http.request
        with: { method: POST, url: "{{ env.SERVICE_URL }}/thumb" }
      - id: ocr
        uses: http.request
        with: { method: POST, url: "{{ env.SERVICE_URL }}/ocr" }
  - id: merge
    uses: transform
    with: { value: "{{ [steps.thumb.output.body.made, steps.ocr.output.body.made] }}" }
`,
  'fast-fail.yaml': `
name: fast-fail
steps:
  - id: group
    parallel:
      - id: slow
        uses: wait.callback
        with: { timeout: 1h }
      - id: broken
        uses: http.request
        with: { url: "{{ env.SERVICE_URL }}/broken" }
  - id: never
    uses: transform
    with: { value: 1 }
`,
};

type Run = {
  id: string;
  status: string;
  error: { step: string; message: string } | null;
  steps: Array<{ id: string; status: string; group?: string; output?: unknown; error?: string }>;
};

describe('parallel: a group of steps that run at the same time', () => {
  let relay: TestRelay;
  let server: ReturnType<typeof createServer>;
  const held: Array<{ url: string; res: ServerResponse }> = [];

  before(async () => {
    // /thumb and /ocr are answered only once both have arrived: they can only finish if they run at once.
    server = createServer((req, res) => {
      req.resume();
      if (req.url === '/broken') {
        res.writeHead(500).end('down');
        return;
      }
      held.push({ url: req.url ?? '', res });
      if (held.length === 2) {
        for (const h of held.splice(0)) {
          h.res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ made: h.url.slice(1) }));
        }
      }
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    process.env.SERVICE_URL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const dir = await workflowDir(FILES);
    relay = await startRelay({ sections: { workflows: { dir, env: ['SERVICE_URL'], watch: false } } });
  });
  after(async () => {
    await relay.stop();
    server.closeAllConnections();
    server.close();
  });

  async function runToEnd(workflow: string): Promise<Run> {
    const started = await api<Run>(relay.url, `/v1/workflows/${workflow}/runs`, {
      method: 'POST',
      auth: relay.auth,
      body: { event: {} },
    });
    return waitFor(`the ${workflow} run to finish`, async () => {
      const run = (await api<Run>(relay.url, `/v1/runs/${started.body.id}`, { auth: relay.auth })).body;
      return ['succeeded', 'failed'].includes(run.status) ? run : null;
    });
  }

  it('runs the branches at once; later steps read their outputs; branches are step records with a group', async () => {
    const run = await runToEnd('both');
    assert.equal(run.status, 'succeeded');
    assert.deepEqual(
      run.steps.map((s) => [s.id, s.status, s.group ?? null]),
      [
        ['thumb', 'succeeded', 'media'],
        ['ocr', 'succeeded', 'media'],
        ['merge', 'succeeded', null],
      ],
    );
    assert.deepEqual(run.steps.find((s) => s.id === 'merge')?.output, ['thumb', 'ocr']);
  });

  it('fails fast: a failed branch stops the others and fails the run', async () => {
    const run = await runToEnd('fast-fail');
    assert.equal(run.status, 'failed');
    assert.equal(run.error?.step, 'broken');
    const slow = run.steps.find((s) => s.id === 'slow');
    assert.equal(slow?.status, 'failed');
    assert.equal(slow?.error, 'cancelled: branch "broken" failed');
    assert.equal(
      run.steps.find((s) => s.id === 'never'),
      undefined,
    );
  });
});
