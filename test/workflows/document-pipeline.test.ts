import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Webhook } from 'svix';
import { startRelay, type TestRelay } from '../helpers/relay.ts';
import { waitFor } from '../helpers/wait.ts';
import { JOBS_SECRET, startJobService } from './fake-jobs.ts';
import { api, FakeClock, startReceiver } from './helpers.ts';

const EXAMPLES = fileURLToPath(new URL('../../examples/workflows/', import.meta.url));
const UPLOADS_SECRET = 'whsec_dXBsb2Fkcy1zZWNyZXQtZm9yLXRlc3Rz';

type Run = { id: string; status: string; error: { step: string } | null; steps: Array<{ id: string; status: string }> };

describe('example document-pipeline: each stage waits for the job service webhook', () => {
  let relay: TestRelay;
  const clock = new FakeClock();
  const hold = new Set<string>();
  let jobs: Awaited<ReturnType<typeof startJobService>>;
  let notify: Awaited<ReturnType<typeof startReceiver>>;

  before(async () => {
    notify = await startReceiver();
    jobs = await startJobService({ relayUrl: () => relay.url, now: () => clock.now(), hold });
    process.env.JOBS_URL = jobs.url;
    process.env.NOTIFY_URL = `${notify.url}/notify`;
    relay = await startRelay({
      clock,
      sources: [
        { name: 'uploads', verify: { scheme: 'standard-webhooks', secrets: [UPLOADS_SECRET] } },
        { name: 'jobs', verify: { scheme: 'standard-webhooks', secrets: [JOBS_SECRET] } },
      ],
      sections: { workflows: { dir: EXAMPLES, env: ['NOTIFY_URL', 'JOBS_URL'], watch: false } },
    });
  });
  after(async () => {
    await relay.stop();
    await jobs.close();
    await notify.close();
  });

  async function upload(documentId: string): Promise<string> {
    const body = JSON.stringify({
      type: 'document.uploaded',
      document_id: documentId,
      url: `https://files.example/${documentId}`,
    });
    const id = `msg_upload_${documentId}`;
    const headers = {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(clock.now() / 1000)),
      'webhook-signature': new Webhook(UPLOADS_SECRET).sign(id, new Date(clock.now()), body),
    };
    const res = await fetch(`${relay.url}/hooks/uploads`, { method: 'POST', headers, body });
    assert.equal(res.status, 200);
    return ((await res.json()) as { id: string }).id;
  }

  async function runFor(eventId: string, status: string): Promise<Run> {
    return waitFor(`the run to be ${status}`, async () => {
      const list = await api<{ data: Array<Run & { trigger_event_id: string }> }>(
        relay.url,
        '/v1/workflows/document-pipeline/runs',
        {
          auth: relay.auth,
        },
      );
      const run = list.body.data.find((r) => r.trigger_event_id === eventId);
      return run?.status === status ? run : null;
    });
  }

  it('runs upload, process and analyze jobs in order and notifies with the analysis', async () => {
    const eventId = await upload('doc-a');
    await runFor(eventId, 'succeeded');
    const stages = jobs.received.filter((r) => (r.json as { document: string }).document === 'doc-a').map((r) => r.json);
    assert.deepEqual(stages, [
      { stage: 'upload', document: 'doc-a', url: 'https://files.example/doc-a' },
      { stage: 'process', document: 'doc-a', input: 'upload:doc-a' },
      { stage: 'analyze', document: 'doc-a', input: 'process:doc-a' },
    ]);
    const sent = notify.received.find((r) => (r.json as { document: string }).document === 'doc-a');
    assert.deepEqual(sent?.json, { document: 'doc-a', status: 'done', analysis: 'analyze:doc-a' });
  });

  it('takes the timeout path when a stage never calls back', async () => {
    hold.add('analyze');
    const eventId = await upload('doc-b');
    const waiting = await waitFor('the run to wait on analyze', async () => {
      const list = await api<{ data: Array<Run & { trigger_event_id: string }> }>(
        relay.url,
        '/v1/workflows/document-pipeline/runs',
        {
          auth: relay.auth,
        },
      );
      const run = list.body.data.find((r) => r.trigger_event_id === eventId);
      return run?.status === 'waiting' && run.steps.some((s) => s.id === 'analyzed' && s.status === 'waiting') ? run : null;
    });
    assert.equal(waiting.steps.find((s) => s.id === 'analyzed')?.status, 'waiting');
    clock.advance(11 * 60_000);
    const failed = await runFor(eventId, 'failed');
    assert.equal(failed.error?.step, 'analyzed');
    const report = await waitFor('the failure report', () =>
      notify.received.find((r) => (r.json as { document: string }).document === 'doc-b'),
    );
    assert.deepEqual(report.json, {
      document: 'doc-b',
      status: 'failed',
      step: 'analyzed',
      reason: 'wait.event timed out after 10m',
    });
  });
});
