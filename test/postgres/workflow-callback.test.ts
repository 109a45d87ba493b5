import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import type { RunRecord } from '../../server/workflows/run-store.ts';
import { dropSchemas, newSchema, skipWithoutPostgres, testDatabaseUrl } from '../helpers/postgres.ts';
import { startRelay, type TestRelay } from '../helpers/relay.ts';
import { waitFor } from '../helpers/wait.ts';
import { startReceiver } from '../workflows/helpers.ts';
import { workflowDir } from '../workflows/workflow-dir.ts';
import { holderOf, runOn, startManual, stepOf } from './workflow-cluster.ts';

describe('wait.callback and workflow.call across two relays sharing PostgreSQL', { skip: skipWithoutPostgres }, () => {
  const schema = newSchema();
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let dir = '';
  let relays: TestRelay[] = [];

  before(async () => {
    receiver = await startReceiver();
    dir = await workflowDir({
      'waits.yaml': `name: waits
steps:
  - id: hold
    uses: wait.callback
    with: { timeout: 1h }
  - id: after
    uses: http.request
    with: { method: POST, url: "${receiver.url}/after", json: "{{ steps.hold.output.body }}" }
`,
      'calls.yaml': `name: calls
steps:
  - id: call
    uses: workflow.call
    with: { workflow: waits }
`,
    });
    const postgres = { url: testDatabaseUrl ?? '', schema, leaseSeconds: 1 };
    const sections = { workflows: { dir, watch: false } };
    relays = await Promise.all([0, 1].map(() => startRelay({ driver: 'postgres', postgres, sections })));
  });
  after(async () => {
    await Promise.all(relays.map((r) => r.stop()));
    await receiver?.close();
    await dropSchemas([schema]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const urlOn = (relay: TestRelay, run: RecordWithUrl) => `${relay.url}${new URL(run.url).pathname}`;
  type RecordWithUrl = { id: string; url: string };
  async function waiting(relay: TestRelay, id: string): Promise<RecordWithUrl> {
    return waitFor('the run to wait on its callback', async () => {
      const run: RunRecord = await runOn(relay, id);
      const hold = stepOf(run, 'hold');
      return hold?.waiting && hold.callback_url ? { id, url: hold.callback_url } : null;
    });
  }

  it('a callback received by the other relay resumes the run; a second one is 409 there too', async () => {
    const [a, b] = relays;
    const run = await startManual(a, 'waits', {});
    const wait = await waiting(a, run.id);
    assert.equal(await holderOf(schema, `run:${run.id}`), a.relay.ctx.cluster.instanceId);
    const post = (relay: TestRelay, n: number) =>
      fetch(urlOn(relay, wait), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ n }) });
    assert.equal((await post(b, 1)).status, 200);
    assert.equal((await post(a, 2)).status, 409);
    await waitFor('the run to succeed', async () => (await runOn(a, run.id)).status === 'succeeded');
    assert.deepEqual(
      receiver.received.filter((r) => r.url === '/after').map((r) => r.json),
      [{ n: 1 }],
    );
    assert.equal((await post(b, 3)).status, 410);
  });

  it("a parent's cancel on one relay cancels its child", async () => {
    const [a, b] = relays;
    const parent = await startManual(a, 'calls', {});
    const childId = await waitFor('the child', async () => stepOf(await runOn(a, parent.id), 'call')?.child_run);
    await waiting(a, childId);
    const res = await fetch(`${b.url}/v1/runs/${parent.id}/cancel`, {
      method: 'POST',
      headers: { authorization: 'Bearer test-admin-token' },
    });
    assert.equal(res.status, 200);
    await waitFor('the child to be cancelled (seen on B)', async () => (await runOn(b, childId)).status === 'cancelled');
  });
});
