import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Webhook } from 'svix';
import { startRelay, type TestRelay } from '../helpers/relay.ts';
import { waitFor } from '../helpers/wait.ts';
import { api } from './helpers.ts';

const EXAMPLES = fileURLToPath(new URL('../../examples/workflows/', import.meta.url));
const SECRET = 'whsec_d29ya2Vycy1zZWNyZXQtZm9yLXRlc3Rz';

type EventList = { data: Array<{ id: string; type: string; payload: Record<string, unknown> }> };

describe('example batch-progress: progress from parallel workers aggregated by workflow state', () => {
  let relay: TestRelay;
  let sent = 0;
  before(async () => {
    relay = await startRelay({
      sources: [{ name: 'workers', verify: { scheme: 'standard-webhooks', secrets: [SECRET] } }],
      sections: { workflows: { dir: EXAMPLES, env: ['NOTIFY_URL', 'JOBS_URL'], watch: false } },
    });
  });
  after(() => relay.stop());

  async function progress(docId: string, value: number): Promise<void> {
    const body = JSON.stringify({ type: 'doc.progress', batch_id: 'b1', doc_id: docId, progress: value, docs: 2 });
    const id = `msg_progress_${++sent}`;
    const headers = {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(Date.now() / 1000)),
      'webhook-signature': new Webhook(SECRET).sign(id, new Date(), body),
    };
    const res = await fetch(`${relay.url}/hooks/workers`, { method: 'POST', headers, body });
    assert.equal(res.status, 200);
  }

  async function emitted(type: string, count: number) {
    return waitFor(`${count} ${type} events`, async () => {
      const list = await api<EventList>(relay.url, `/v1/events?source=workflow&type=${type}`, { auth: relay.auth });
      return list.body.data.length >= count ? list.body.data : null;
    });
  }

  async function allRunsFinished() {
    await waitFor('every run to finish', async () => {
      const runs = await api<{ data: Array<{ status: string }> }>(relay.url, '/v1/workflows/batch-progress/runs', {
        auth: relay.auth,
      });
      return runs.body.data.length === sent && runs.body.data.every((r) => r.status === 'succeeded');
    });
  }

  it('emits the overall progress on every change: doc1 0.5 then doc2 0.25 gives 0.375', async () => {
    await progress('doc1', 0.5);
    await progress('doc2', 0.25);
    const events = await emitted('batch.progress', 2);
    assert.deepEqual(
      events.map((e) => e.payload.progress),
      [0.25, 0.375],
    );
    assert.deepEqual(events[1].payload.documents, { doc1: 0.5, doc2: 0.25 });
  });

  it('emits nothing for a repeated value and batch.done once when all documents reach 1.0 in any order', async () => {
    await progress('doc2', 0.25);
    await progress('doc2', 1);
    await progress('doc1', 1);
    await progress('doc1', 1);
    await allRunsFinished();
    const events = await emitted('batch.progress', 4);
    assert.deepEqual(
      events.map((e) => e.payload.progress),
      [0.25, 0.375, 0.75, 1],
    );
    const done = await emitted('batch.done', 1);
    assert.equal(done.length, 1);
    assert.deepEqual(done[0].payload, { batch: 'b1', documents: { doc1: 1, doc2: 1 } });
  });
});
