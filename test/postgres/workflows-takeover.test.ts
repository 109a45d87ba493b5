import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RunRecord } from '../../server/workflows/run-store.ts';
import { type ChildRelay, spawnRelay } from '../helpers/child-relay.ts';
import { dropSchemas, newSchema, queryTestDatabase, skipWithoutPostgres, testDatabaseUrl } from '../helpers/postgres.ts';
import { startRelay, type TestRelay } from '../helpers/relay.ts';
import { waitFor } from '../helpers/wait.ts';
import { api, startReceiver } from '../workflows/helpers.ts';
import { workflowDir } from '../workflows/workflow-dir.ts';
import {
  AUTH,
  holderOf,
  ingest,
  runOn,
  SECRET,
  source,
  outputOf,
  startManual,
  stepOf,
  workflowFiles,
} from './workflow-cluster.ts';

describe('workflow runs of an instance killed with SIGKILL finish on the others', { skip: skipWithoutPostgres }, () => {
  const schema = newSchema();
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let dir: string;
  let childDir: string;
  let child: ChildRelay | null = null;
  let survivors: TestRelay[] = [];

  before(async () => {
    receiver = await startReceiver();
    dir = await workflowDir(workflowFiles(receiver.url));
    childDir = await mkdtemp(join(tmpdir(), 'hookrelay-wf-takeover-'));
  });
  after(async () => {
    if (child && child.child.exitCode === null && child.child.signalCode === null) {
      child.child.kill('SIGKILL');
      await child.exited;
    }
    await Promise.all(survivors.map((r) => r.stop()));
    await receiver?.close();
    await dropSchemas([schema]);
    for (const d of [dir, childDir]) if (d) await rm(d, { recursive: true, force: true });
  });

  const posted = (path: string, key: string) =>
    receiver.received.filter((r) => r.url === path && (r.json as { key: string }).key === key).length;
  const runsOf = async (relay: TestRelay, workflow: string) =>
    (await api<{ data: RunRecord[] }>(relay.url, `/v1/workflows/${workflow}/runs`, { auth: AUTH })).body.data;

  const spawnChild = () =>
    spawnRelay({
      dataDir: childDir,
      configYaml: [
        `store: { driver: postgres, url: "${testDatabaseUrl}", schema: ${schema}, leaseSeconds: 1 }`,
        'sources:',
        `  - { name: shop, verify: { scheme: standard-webhooks, secrets: ["${SECRET}"] } }`,
        `workflows: { dir: "${dir}", watch: false }`,
      ].join('\n'),
    });

  it('takes over the trigger role, a run mid-delay and a run mid-wait, without re-running finished steps', async () => {
    child = await spawnChild();
    // The child alone: it leads the trigger role, so the runs events start execute there.
    const childId = await waitFor('the child to lead the trigger role', () => holderOf(schema, 'role:workflows.trigger'));
    const postgres = { url: testDatabaseUrl ?? '', schema, leaseSeconds: 1 };
    const sections = { workflows: { dir, watch: false } };
    survivors = await Promise.all([0, 1].map(() => startRelay({ driver: 'postgres', postgres, sources: [source], sections })));
    const [a, b] = survivors;

    const pauseEvent = await ingest(a, 'msg_pause_1', { type: 'pause', key: 'p1' });
    const delayed = await waitFor('the triggered run to wait in its delay', async () => {
      const run = (await runsOf(a, 'pause')).find((r) => r.trigger_event_id === pauseEvent);
      return run && stepOf(run, 'pause')?.status === 'waiting' ? run : null;
    });
    const gated = await startManual({ url: child.url }, 'gate', { key: 'g1' });
    const doomed = await startManual({ url: child.url }, 'gate', { key: 'g2' });
    await waitFor(
      'the manual run to wait for its event',
      async () => stepOf(await runOn(a, gated.id), 'gate')?.status === 'waiting',
    );
    assert.equal(await holderOf(schema, `run:${delayed.id}`), childId);
    await waitFor('the second manual run to wait', async () => (await runOn(a, doomed.id)).status === 'waiting');
    assert.equal(await holderOf(schema, `run:${gated.id}`), childId);

    const killedAt = Date.now();
    child.child.kill('SIGKILL');
    await child.exited;
    // Stored while no live instance leads the role: the next leader starts it from the shared cursor.
    const later = await ingest(b, 'msg_pause_2', { type: 'pause', key: 'p2' });
    // Asked while the dead instance still holds it: answered once a survivor may act on it.
    const cancel = await api<RunRecord>(a.url, `/v1/runs/${doomed.id}/cancel`, { method: 'POST', auth: AUTH });
    assert.equal(cancel.status, 200, JSON.stringify(cancel.body));
    assert.equal(cancel.body.status, 'cancelled');

    const survivorIds = survivors.map((r) => r.relay.ctx.cluster.instanceId);
    await waitFor('a survivor to hold the waiting run', async () =>
      survivorIds.includes((await holderOf(schema, `run:${gated.id}`)) ?? ''),
    );
    const release = await ingest(a, 'msg_release_g1', { type: 'release', key: 'g1' });
    const finished = await waitFor('the three runs to succeed', async () => {
      const runs = [...(await runsOf(b, 'pause')), ...(await runsOf(b, 'gate'))];
      const wanted = runs.filter((r) => r.id === delayed.id || r.id === gated.id || r.trigger_event_id === later);
      return wanted.length === 3 && wanted.every((r) => r.status === 'succeeded') ? wanted : null;
    });

    assert.equal((await runOn(b, doomed.id)).status, 'cancelled');
    assert.equal(posted('/last', 'g2'), 0);
    for (const key of ['p1', 'g1', 'p2']) {
      assert.equal(posted('/first', key), 1, `the first step of ${key} ran once`);
      assert.equal(posted('/last', key), 1, `the last step of ${key} ran once`);
    }
    for (const run of finished) assert.equal(stepOf(run, 'first')?.attempts, 1);
    const p1 = await runOn(b, delayed.id);
    // The delay was re-armed from the step's own start (kept in the row), not started again at the takeover.
    const pause = stepOf(p1, 'pause');
    assert.ok(Date.parse(pause?.started_at ?? '') < killedAt);
    const due = Date.parse(pause?.started_at ?? '') + 2000;
    assert.equal(outputOf<{ until: string }>(p1, 'pause').until, new Date(due).toISOString());
    assert.ok(Date.parse(pause?.finished_at ?? '') > killedAt, 'the delay ended on a survivor');
    assert.equal(outputOf<{ id: string }>(await runOn(b, gated.id), 'gate').id, release);
    const perEvent = await queryTestDatabase<{ runs: string }>(
      `SELECT count(*) AS runs FROM ${schema}.relay_rows WHERE table_name = 'workflow_runs' AND row->>'workflow' = 'pause'
       GROUP BY row->>'trigger_event_id'`,
    );
    assert.deepEqual(
      perEvent.map((r) => r.runs),
      ['1', '1'],
    );
  });

  it('leaves a run that another instance took over while this one was stopped (SIGSTOP past the lease)', async () => {
    const [a] = survivors;
    child = await spawnChild();
    const stalled = await startManual({ url: child.url }, 'pause', { key: 's1' });
    await waitFor('the run to wait in its delay', async () => stepOf(await runOn(a, stalled.id), 'pause')?.status === 'waiting');
    child.child.kill('SIGSTOP');
    const done = await waitFor('a survivor to finish the run', async () => {
      const run = await runOn(a, stalled.id);
      return run.status === 'succeeded' ? run : null;
    });
    await waitFor('the claim to be let go', async () => (await holderOf(schema, `run:${stalled.id}`)) === undefined);
    const running = child;
    running.child.kill('SIGCONT');
    // Woken, the stalled relay finds the run finished by another and leaves it, writing nothing.
    await waitFor('the stalled relay to leave the run', () =>
      running.logs.some((line) => line.run === stalled.id && String(line.msg).includes('took this run over')),
    );
    assert.equal(posted('/first', 's1'), 1);
    assert.equal(posted('/last', 's1'), 1, 'the last step ran once');
    const row = await queryTestDatabase<{ row: RunRecord }>(
      `SELECT row FROM ${schema}.relay_rows WHERE table_name = 'workflow_runs' AND id = $1`,
      [stalled.id],
    );
    assert.deepEqual(row[0].row.steps, done.steps);
    running.child.kill('SIGKILL');
    await running.exited;
  });
});
