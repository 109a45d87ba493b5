import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Receiver } from '../delivery/receiver.ts';
import { createEndpoint, deliveries, TEST_SOURCES } from '../delivery/setup.ts';
import { type ChildRelay, spawnRelay } from '../helpers/child-relay.ts';
import { dropSchemas, newSchema, queryTestDatabase, skipWithoutPostgres, testDatabaseUrl } from '../helpers/postgres.ts';
import { startRelay, type TestRelay } from '../helpers/relay.ts';
import { waitFor } from '../helpers/wait.ts';

// The second attempt comes 4 s after the first: time enough for the other relay to take the
// deliveries over while the stalled one is stopped, and for the stalled one to resume before then.
const DELIVERY = { scheduleSeconds: [0, 4, 4], jitter: 0, sweepIntervalSeconds: 1 };

async function ingestAt(url: string, payload: unknown): Promise<string> {
  const res = await fetch(`${url}/hooks/dev`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(payload),
  });
  assert.equal(res.status, 200, await res.clone().text());
  return ((await res.json()) as { id: string }).id;
}

// A stall is a relay process stopped with SIGSTOP for longer than the lease and then continued: for
// its clocks and the database the pause is real (no heartbeats, its timers all overdue on waking),
// unlike a process that dies it wakes up believing it still holds its deliveries.
describe('deliveries of a relay instance that stalls past its lease without dying', { skip: skipWithoutPostgres }, () => {
  const schema = newSchema();
  let dataDir = '';
  let stalled: ChildRelay | undefined;
  let other: TestRelay | undefined;
  let receiver: Receiver;
  const owners = async (keys: string[]) =>
    (await queryTestDatabase<{ owner: string }>(`SELECT owner FROM ${schema}.relay_claims WHERE key = ANY($1)`, [keys])).map(
      (r) => r.owner,
    );

  before(async () => {
    receiver = await new Receiver().start();
    dataDir = await mkdtemp(join(tmpdir(), 'hookrelay-stall-'));
    stalled = await spawnRelay({
      dataDir,
      configYaml: JSON.stringify({
        sources: TEST_SOURCES,
        store: { driver: 'postgres', url: testDatabaseUrl, schema, leaseSeconds: 1 },
        delivery: DELIVERY,
      }),
    });
    // Started first, the child leads fan-out: it creates, and holds, every delivery.
    await waitFor('the child to lead fan-out', async () => (await owners(['role:delivery.fanout'])).length === 1);
    other = await startRelay({
      driver: 'postgres',
      postgres: { url: testDatabaseUrl ?? '', schema, leaseSeconds: 1 },
      sources: TEST_SOURCES,
      sections: { delivery: DELIVERY },
    });
  });
  after(async () => {
    stalled?.child.kill('SIGKILL');
    await stalled?.exited;
    await other?.stop();
    await receiver?.stop();
    await rm(dataDir, { recursive: true, force: true });
    await dropSchemas([schema]);
  });

  it('are sent by the instance that took them over, and not again by the stalled one', async () => {
    const [child, survivor] = [stalled as ChildRelay, other as TestRelay];
    let healed = false;
    const succeeded: string[] = [];
    receiver.answer = (_i, req) => {
      if (!healed) return { status: 500 };
      succeeded.push(String(req.headers['webhook-id']));
      return { status: 200 };
    };
    const endpoint = await createEndpoint(survivor, { url: `${receiver.url}/stall` });
    const events: string[] = [];
    for (let i = 0; i < 5; i++) events.push(await ingestAt(i % 2 ? survivor.url : child.url, { type: 'stall', i }));
    const waiting = await waitFor('five failed first attempts', async () => {
      const rows = await deliveries(survivor, endpoint.id);
      return rows.length === 5 && rows.every((d) => d.attempt_count === 1) ? rows.map((d) => `dlv:${d.id}`) : null;
    });
    const [childInstance] = await owners(['role:delivery.fanout']);
    assert.deepEqual(new Set(await owners(waiting)), new Set([childInstance]));

    child.child.kill('SIGSTOP');
    const survivorInstance = survivor.relay.ctx.cluster.instanceId;
    await waitFor('the other instance to take the deliveries over', async () => {
      const held = await owners(waiting);
      return held.length === 5 && held.every((owner) => owner === survivorInstance);
    });
    // The stalled relay wakes with the deliveries still queued for the same moment as on the other.
    healed = true;
    child.child.kill('SIGCONT');
    await waitFor('every delivery to succeed', async () =>
      (await deliveries(survivor, endpoint.id)).every((d) => d.status === 'succeeded'),
    );
    // Once the stalled relay has read the results back, its own attempts (due at the same moment) were
    // started or skipped: a send by it would have reached the receiver by then.
    await waitFor('the stalled relay to see them succeeded', async () => {
      const res = await fetch(`${child.url}/v1/endpoints/${endpoint.id}/deliveries`, {
        headers: { authorization: 'Bearer test-admin-token' },
      });
      const rows = ((await res.json()) as { data: Array<{ status: string }> }).data;
      return rows.length === 5 && rows.every((d) => d.status === 'succeeded');
    });
    assert.deepEqual([...succeeded].sort(), [...events].sort(), 'each event was sent once after the takeover');
  });
});
