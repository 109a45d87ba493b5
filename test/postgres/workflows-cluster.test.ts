import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import type { RunRecord } from '../../server/workflows/run-store.ts';
import { dropSchemas, newSchema, queryTestDatabase, skipWithoutPostgres, testDatabaseUrl } from '../helpers/postgres.ts';
import { startRelay, type TestRelay } from '../helpers/relay.ts';
import { waitFor } from '../helpers/wait.ts';
import { api, startReceiver } from '../workflows/helpers.ts';
import { workflowDir } from '../workflows/workflow-dir.ts';
import { AUTH, holderOf, ingest, runOn, source, outputOf, startManual, stepOf, workflowFiles } from './workflow-cluster.ts';

describe('workflows on two relay instances sharing one PostgreSQL database', { skip: skipWithoutPostgres }, () => {
  const schema = newSchema();
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let dir: string;
  let relays: TestRelay[] = [];

  before(async () => {
    receiver = await startReceiver();
    dir = await workflowDir(workflowFiles(receiver.url));
    const postgres = { url: testDatabaseUrl ?? '', schema, leaseSeconds: 1 };
    const sections = { workflows: { dir, watch: false } };
    relays = await Promise.all([0, 1].map(() => startRelay({ driver: 'postgres', postgres, sources: [source], sections })));
  });
  after(async () => {
    await Promise.all(relays.map((r) => r.stop()));
    await receiver?.close();
    await dropSchemas([schema]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const orders = () => receiver.received.filter((r) => r.url === '/order').map((r) => (r.json as { event: string }).event);
  const leader = async () => {
    const owner = await holderOf(schema, 'role:workflows.trigger');
    return relays.find((r) => r.relay.ctx.cluster.instanceId === owner);
  };

  it('resumes a run waiting on one instance with an event ingested on another', async () => {
    const [a, b] = relays;
    const run = await startManual(a, 'gate', { key: 'k-across' });
    assert.equal(await holderOf(schema, `run:${run.id}`), a.relay.ctx.cluster.instanceId, 'the instance that made it runs it');
    await waitFor('the run to wait on A', async () => stepOf(await runOn(a, run.id), 'gate')?.status === 'waiting');
    await ingest(b, 'msg_release_other', { type: 'release', key: 'someone-else' });
    const release = await ingest(b, 'msg_release_across', { type: 'release', key: 'k-across' });
    const done = await waitFor('the run to succeed (seen on B)', async () => {
      const seen = await runOn(b, run.id);
      return seen.status === 'succeeded' ? seen : null;
    });
    assert.equal(outputOf<{ id: string }>(done, 'gate').id, release);
    const last = receiver.received.filter((r) => r.url === '/last' && (r.json as { key: string }).key === 'k-across');
    assert.deepEqual(
      last.map((r) => r.json),
      [{ key: 'k-across', by: release }],
    );
    await waitFor('the claim to be released', async () => (await holderOf(schema, `run:${run.id}`)) === undefined);
  });

  it('cancels from one instance a run that another executes, answering once it is cancelled', async () => {
    const [a, b] = relays;
    const run = await startManual(a, 'gate', { key: 'k-cancel' });
    await waitFor('the run to wait on A', async () => (await runOn(a, run.id)).status === 'waiting');
    const res = await api<RunRecord>(b.url, `/v1/runs/${run.id}/cancel`, { method: 'POST', auth: AUTH });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.status, 'cancelled');
    assert.equal(stepOf(res.body, 'gate')?.error, 'cancelled');
    assert.equal((await runOn(a, run.id)).status, 'cancelled');
    await waitFor('the claim to be released', async () => (await holderOf(schema, `run:${run.id}`)) === undefined);
    const again = await api<{ error: { code: string } }>(b.url, `/v1/runs/${run.id}/cancel`, { method: 'POST', auth: AUTH });
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'run_finished');
  });

  it('loses no workflow state change when runs on two instances change one namespace at once', async () => {
    const [a, b] = relays;
    const keys = Array.from({ length: 20 }, (_, n) => `doc${n}`);
    const started = await Promise.all(keys.map((key, n) => startManual(n % 2 ? b : a, 'tally', { key })));
    const finished = await waitFor('every tally run to finish', async () => {
      const all = await Promise.all(started.map((run) => runOn(a, run.id)));
      return all.every((run) => run.status === 'succeeded') ? all : null;
    });
    const rows = await queryTestDatabase<{ row: { entries: Record<string, string> } }>(
      `SELECT row FROM ${schema}.relay_rows WHERE table_name = 'workflow_state'`,
    );
    assert.deepEqual(Object.keys(rows[0].row.entries).sort(), [...keys].sort());
    // Changes are made one at a time on the row as stored: the last of them saw every key.
    const seen = finished.map((run) => Object.keys(outputOf<{ entries: object }>(run, 'count').entries).length);
    assert.equal(Math.max(...seen), keys.length);
    assert.deepEqual(
      [...seen].sort((x, y) => x - y),
      keys.map((_, n) => n + 1),
    );
  });

  // Last: it stops one of the two relays.
  it('starts exactly one run per event ingested on any instance, also after the trigger leader stops', async () => {
    const first = await waitFor('a trigger leader', leader);
    const sent: string[] = [];
    for (let n = 0; n < 12; n++) sent.push(await ingest(relays[n % 2], `msg_order_${n}`, { type: 'order.created', n }));
    await waitFor('every order at the receiver', () => orders().length >= sent.length);

    // The leader leaves; events ingested before another instance leads are started from the shared cursor.
    relays = relays.filter((r) => r !== first);
    await first.stop();
    for (let n = 12; n < 20; n++) sent.push(await ingest(relays[0], `msg_order_${n}`, { type: 'order.created', n }));
    await waitFor('every order at the receiver', () => orders().length >= sent.length);
    assert.equal(await waitFor('a new trigger leader', leader), relays[0]);

    assert.deepEqual([...orders()].sort(), [...sent].sort(), 'each event reached the receiver exactly once');
    const perEvent = await queryTestDatabase<{ event: string; runs: string; done: string }>(
      `SELECT row->>'trigger_event_id' AS event, count(*) AS runs, count(*) FILTER (WHERE row->>'status' = 'succeeded') AS done
       FROM ${schema}.relay_rows WHERE table_name = 'workflow_runs' AND row->>'workflow' = 'forward' GROUP BY 1`,
    );
    assert.equal(perEvent.length, sent.length);
    for (const row of perEvent) assert.deepEqual([row.runs, row.done], ['1', '1'], `runs of ${row.event}`);
  });
});
