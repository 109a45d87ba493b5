import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Webhook } from 'svix';
import { startRelay, type TestRelay } from '../../test/helpers/relay.ts';
import { waitFor } from '../../test/helpers/wait.ts';
import { api, startReceiver } from '../../test/workflows/helpers.ts';

// Seed 000's document pipeline end to end: a signed upload webhook starts the run; four local fake
// services (upload, process, analyze, notify) each take a job with a webhook_url and call it back.

const HERE = fileURLToPath(new URL('./', import.meta.url));
const DOCUMENTS_SECRET = 'whsec_ZG9jdW1lbnRzLXNlY3JldC1mb3ItZXhhbXBsZQ';
const TOKEN = 'jobs-token-5f1c2a9e';

type Run = {
  id: string;
  status: string;
  output: unknown;
  steps: Array<{ id: string; status: string; output?: { body?: unknown }; callback_url?: string; waiting?: boolean }>;
};

describe('example document-callbacks: upload → process → analyze → notify through callback URLs', () => {
  let relay: TestRelay;
  let services: Awaited<ReturnType<typeof startReceiver>>;
  const callbacks: Array<Promise<number>> = [];
  /** Stages whose service takes the job but does not call back (yet). */
  const held = new Map<string, () => Promise<number>>();

  before(async () => {
    services = await startReceiver((req) => {
      const stage = req.url.slice(1);
      if (req.headers.authorization !== `Bearer ${TOKEN}`) return { status: 401, body: { error: 'bad token' } };
      const job = req.json as { webhook_url: string; input?: string; document?: string; analysis?: string };
      const result = stage === 'notify' ? `sent:${job.analysis}` : `${stage}(${job.input ?? job.document})`;
      // The service answers the job request, then calls back (on its own schedule, as a real one would).
      const callBack = () =>
        fetch(job.webhook_url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-service': stage },
          body: JSON.stringify({ stage, result }),
        }).then((res) => res.status);
      if (held.has(stage)) held.set(stage, callBack);
      else callbacks.push(new Promise((resolve) => setImmediate(() => resolve(callBack()))));
      return { status: 202, body: { accepted: stage } };
    });
    process.env.JOBS_URL = services.url;
    process.env.JOBS_TOKEN = TOKEN;
    relay = await startRelay({
      sources: [{ name: 'documents', verify: { scheme: 'standard-webhooks', secrets: [DOCUMENTS_SECRET] } }],
      sections: {
        workflows: { dir: HERE, env: ['JOBS_URL', 'NOTIFY_URL', 'RECEIVER_URL'], secrets: ['JOBS_TOKEN'], watch: false },
      },
    });
  });
  after(async () => {
    await relay.stop();
    await services.close();
  });

  async function upload(documentId: string): Promise<string> {
    const body = JSON.stringify({
      type: 'document.uploaded',
      document_id: documentId,
      url: `https://files.example/${documentId}`,
    });
    const id = `msg_${documentId}`;
    const now = new Date();
    const headers = {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
      'webhook-signature': new Webhook(DOCUMENTS_SECRET).sign(id, now, body),
    };
    const res = await fetch(`${relay.url}/hooks/documents`, { method: 'POST', headers, body });
    assert.equal(res.status, 200);
    return ((await res.json()) as { id: string }).id;
  }
  const runOf = async (eventId: string) => {
    const list = await api<{ data: Array<Run & { trigger_event_id: string }> }>(
      relay.url,
      '/v1/workflows/document-callbacks/runs',
      {
        auth: relay.auth,
      },
    );
    const found = list.body.data.find((r) => r.trigger_event_id === eventId);
    return found ? (await api<Run>(relay.url, `/v1/runs/${found.id}`, { auth: relay.auth })).body : null;
  };

  it('runs the four stages, each resumed by its service, and outputs the analysis', async () => {
    const eventId = await upload('doc-1');
    const run = await waitFor('the pipeline to succeed', async () => {
      const r = await runOf(eventId);
      return r?.status === 'succeeded' ? r : null;
    });
    assert.deepEqual(await Promise.all(callbacks), [200, 200, 200, 200]);
    assert.deepEqual(
      services.received.map((r) => r.url),
      ['/upload', '/process', '/analyze', '/notify'],
    );
    const analysis = 'analyze(process(upload(doc-1)))';
    assert.deepEqual(run.output, { document: 'doc-1', analysis, notified: `sent:${analysis}` });
    // Each wait had its own URL, all of them on this relay.
    const urls = run.steps.filter((s) => s.callback_url).map((s) => s.callback_url ?? '');
    assert.equal(new Set(urls).size, 4);
    for (const url of urls) assert.ok(url.startsWith(`${relay.url}/callbacks/`));
    assert.deepEqual(
      services.received.map((r) => (r.json as { webhook_url: string }).webhook_url),
      urls,
    );
    assert.ok(!JSON.stringify(run).includes(TOKEN), 'the run shows the token');
  });

  it('shows a stage waiting on its URL until its service calls back', async () => {
    held.set('analyze', async () => 0);
    const eventId = await upload('doc-2');
    const waiting = await waitFor('the analyze stage to wait', async () => {
      const r = await runOf(eventId);
      return r?.status === 'waiting' && r.steps.find((s) => s.id === 'analyzed')?.waiting ? r : null;
    });
    const step = waiting.steps.find((s) => s.id === 'analyzed');
    assert.match(step?.callback_url ?? '', /\/callbacks\/[A-Za-z0-9_-]+\/analyzed$/);
    const callBack = held.get('analyze');
    held.delete('analyze');
    assert.equal(await callBack?.(), 200);
    const done = await waitFor('the pipeline to succeed', async () => {
      const r = await runOf(eventId);
      return r?.status === 'succeeded' ? r : null;
    });
    assert.equal((done.output as { analysis: string }).analysis, 'analyze(process(upload(doc-2)))');
  });

  it('every example workflow file of this folder is described in the docs or the README', async () => {
    const docs = (
      await Promise.all(
        ['docs/workflows.md', 'docs/batches.md', 'README.md'].map((f) => readFile(join(HERE, '../..', f), 'utf8')),
      )
    ).join('\n');
    for (const file of (await readdir(HERE)).filter((f) => f.endsWith('.yaml')))
      assert.ok(docs.includes(file), `${file} is not documented`);
  });
});
