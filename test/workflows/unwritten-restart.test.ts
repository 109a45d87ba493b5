import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { signHeaders } from '../../server/ingest/signers.ts';
import { triggeredRunId } from '../../server/workflows/run-store.ts';
import { type ChildRelay, spawnRelay } from '../helpers/child-relay.ts';
import { waitFor } from '../helpers/wait.ts';
import { api, startReceiver } from './helpers.ts';

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
  let dataDir: string;
  let relay: ChildRelay | null = null;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let answer = false;
  let configYaml: string;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'hookrelay-wf-unwritten-'));
    await mkdir(join(dataDir, 'workflows'));
    await writeFile(join(dataDir, 'workflows', 'slow.yaml'), SLOW);
    await writeFile(join(dataDir, 'workflows', 'quick.yaml'), QUICK);
    // Holds the first relay's call open (the run stays mid-step), answers once `answer` is set.
    receiver = await startReceiver(() => (answer ? {} : null));
    configYaml = [
      'sources:',
      '  - name: in',
      `    verify: { scheme: standard-webhooks, secrets: ["${SECRET}"] }`,
      'workflows:',
      '  dir: ./workflows',
      '  env: [RECEIVER_URL]',
      '  watch: false',
    ].join('\n');
  });
  after(async () => {
    if (relay && relay.child.exitCode === null) {
      relay.child.kill('SIGKILL');
      await relay.exited;
    }
    receiver.server.closeAllConnections();
    await receiver.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  const start = () => spawnRelay({ dataDir, configYaml, env: { RECEIVER_URL: receiver.url } });
  async function send(type: string, key: string): Promise<string> {
    const body = JSON.stringify({ type, key });
    const headers = {
      'content-type': 'application/json',
      ...signHeaders({ verify: { scheme: 'standard-webhooks' }, secret: SECRET, body }),
    };
    const res = await fetch(`${relay?.url}/hooks/in`, { method: 'POST', headers, body });
    assert.equal(res.status, 200);
    return ((await res.json()) as { id: string }).id;
  }
  const runs = async (workflow: string) =>
    (await api<{ data: Run[] }>(relay!.url, `/v1/workflows/${workflow}/runs`, { auth: AUTH })).body.data;
  const savedCursor = async () => {
    const file = await readFile(join(dataDir, 'state', 'workflow_cursor.json'), 'utf8').catch(() => null);
    return file ? ((JSON.parse(file) as { rows: Array<{ event_id: string }> }).rows[0]?.event_id ?? null) : null;
  };

  it('is shown while it runs, holds the cursor back, and is made again after kill -9', async () => {
    relay = await start();
    const slowEvent = await send('go', 'k1');
    await waitFor('the step to call the receiver', () => receiver.received.length === 1);
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

    relay.child.kill('SIGKILL');
    await relay.exited;
    const log = await readFile(join(dataDir, 'tables', 'workflow_runs.jsonl'), 'utf8');
    assert.ok(!log.includes(shown[0].id), 'the slow run was written before the kill');
    assert.ok(log.includes(triggeredRunId('quick', quickEvent)));

    answer = true;
    relay = await start();
    const done = await waitFor('the slow run, made again, to succeed', async () => {
      const list = await runs('slow');
      return list.length === 1 && list[0].status === 'succeeded' ? list[0] : null;
    });
    assert.equal(done.id, shown[0].id);
    assert.equal(done.trigger_event_id, slowEvent);
    assert.equal(receiver.received.length, 2, 'the step runs once more (at-least-once), not more');
    assert.equal((await runs('quick')).length, 1, 'the written run was not made again');
  });
});
