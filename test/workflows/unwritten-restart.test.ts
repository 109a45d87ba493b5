import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { triggeredRunId } from '../../server/workflows/run-store.ts';
import { waitFor } from '../helpers/wait.ts';
import { childWorkflowRelay } from './child-workflow-relay.ts';
import { api } from './helpers.ts';

// In one process a triggered run is first written when it reaches a step boundary. A relay killed
// before that has no trace of the run but its event: the trigger cursor must not have passed it, so
// the replay on the next start makes the run.

const SECRET = 'whsec_dW53cml0dGVuLXJlc3RhcnQtc2VjcmV0';
const AUTH = { authorization: 'Bearer test-admin-token' };

const SLOW = `
name: slow
on: { source: in, type: go }
steps:
  - id: call
    uses: http.request
    with: { method: POST, url: "{{ env.RECEIVER_URL }}/call", json: { key: "{{ event.payload.key }}" } }
`;
const QUICK = `
name: quick
on: { source: in, type: tick }
steps:
  - id: note
    uses: transform
    with: { value: "{{ event.payload.key }}" }
`;

type Run = { id: string; status: string; trigger_event_id: string; steps: Array<{ id: string; status: string }> };

describe('a triggered run whose start was never written', () => {
  let answer = false;
  const child = childWorkflowRelay({
    tmpPrefix: 'hookrelay-wf-unwritten-',
    files: { 'slow.yaml': SLOW, 'quick.yaml': QUICK },
    secret: SECRET,
    // Holds the first relay's call open (the run stays mid-step), answers once `answer` is set.
    respond: () => (answer ? {} : null),
    watch: false,
  });
  const { send } = child;
  const runs = async (workflow: string) =>
    (await api<{ data: Run[] }>(child.relay.url, `/v1/workflows/${workflow}/runs`, { auth: AUTH })).body.data;
  const savedCursor = async () => {
    const file = await readFile(join(child.dataDir, 'state', 'workflow_cursor.json'), 'utf8').catch(() => null);
    return file ? ((JSON.parse(file) as { rows: Array<{ event_id: string }> }).rows[0]?.event_id ?? null) : null;
  };

  it('is shown while it runs, holds the cursor back, and is made again after kill -9', async () => {
    const relay = await child.start();
    const slowEvent = await send('go', 'k1');
    await waitFor('the step to call the receiver', () => child.received.length === 1);
    const shown = await runs('slow');
    assert.equal(shown.length, 1, 'the run is listed before its first write');
    assert.equal(shown[0].id, triggeredRunId('slow', slowEvent));
    assert.equal(shown[0].status, 'running');
    const fetched = await api<Run>(relay.url, `/v1/runs/${shown[0].id}`, { auth: AUTH });
    assert.equal(fetched.status, 200);

    // A later event whose run finishes (and is written): the cursor is saved, but not past the slow run.
    const quickEvent = await send('tick', 'k2');
    await waitFor('the quick run to succeed', async () => (await runs('quick'))[0]?.status === 'succeeded');
    const cursor = await waitFor('the cursor to reach the slow run', async () => {
      const saved = await savedCursor();
      return saved && saved >= slowEvent ? saved : null;
    });
    assert.equal(cursor, slowEvent, 'the saved cursor passed a run that was not written');
    assert.ok(cursor < quickEvent);

    await child.kill();
    const log = await readFile(join(child.dataDir, 'tables', 'workflow_runs.jsonl'), 'utf8');
    assert.ok(!log.includes(shown[0].id), 'the slow run was written before the kill');
    assert.ok(log.includes(triggeredRunId('quick', quickEvent)));

    answer = true;
    await child.start();
    const done = await waitFor('the slow run, made again, to succeed', async () => {
      const list = await runs('slow');
      return list.length === 1 && list[0].status === 'succeeded' ? list[0] : null;
    });
    assert.equal(done.id, shown[0].id);
    assert.equal(done.trigger_event_id, slowEvent);
    assert.equal(child.received.length, 2, 'the step runs once more (at-least-once), not more');
    assert.equal((await runs('quick')).length, 1, 'the written run was not made again');
  });
});
