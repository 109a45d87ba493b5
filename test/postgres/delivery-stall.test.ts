import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Receiver } from '../delivery/receiver.ts';
import { createEndpoint, deliveries, ingest, TEST_SOURCES } from '../delivery/setup.ts';
import { dropSchemas, newSchema, queryTestDatabase, skipWithoutPostgres, testDatabaseUrl } from '../helpers/postgres.ts';
import { startRelay, type TestRelay } from '../helpers/relay.ts';
import { waitFor } from '../helpers/wait.ts';

describe('deliveries of a relay instance that stalls past its lease without dying', { skip: skipWithoutPostgres }, () => {
  const schema = newSchema();
  let stalled: TestRelay;
  let other: TestRelay;
  let receiver: Receiver;
  const owners = async (ids: string[]) =>
    (
      await queryTestDatabase<{ owner: string }>(`SELECT owner FROM ${schema}.relay_claims WHERE key = ANY($1)`, [
        ids.map((id) => `dlv:${id}`),
      ])
    ).map((r) => r.owner);

  before(async () => {
    receiver = await new Receiver().start();
    const options = {
      driver: 'postgres' as const,
      postgres: { url: testDatabaseUrl ?? '', schema, leaseSeconds: 2 },
      sources: TEST_SOURCES,
      // The second attempt comes 4 s after the first: time enough to take the deliveries over first.
      sections: { delivery: { scheduleSeconds: [0, 4, 4], jitter: 0, sweepIntervalSeconds: 1 } },
    };
    stalled = await startRelay(options); // started first: it leads fan-out and holds every delivery
    other = await startRelay(options);
  });
  after(async () => {
    await Promise.all([stalled?.stop(), other?.stop()]);
    await receiver?.stop();
    await dropSchemas([schema]);
  });

  it('are sent by the instance that took them over, and not again by the stalled one', async () => {
    let healed = false;
    const succeeded: string[] = [];
    receiver.answer = (_i, req) => {
      if (!healed) return { status: 500 };
      succeeded.push(String(req.headers['webhook-id']));
      return { status: 200 };
    };
    const endpoint = await createEndpoint(other, { url: `${receiver.url}/stall` });
    const events: string[] = [];
    for (let i = 0; i < 5; i++) events.push(await ingest(i % 2 ? other : stalled, { type: 'stall', i }));
    const waiting = await waitFor('five failed first attempts', async () => {
      const rows = await deliveries(other, endpoint.id);
      return rows.length === 5 && rows.every((d) => d.attempt_count === 1) ? rows.map((d) => d.id) : null;
    });
    const instance = (r: TestRelay) => r.relay.ctx.cluster.instanceId;
    assert.deepEqual(new Set(await owners(waiting)), new Set([instance(stalled)]));

    // The stalled instance's heartbeat looks old to the other (as after a long pause) until the
    // other has taken its deliveries; the stalled one keeps them queued meanwhile.
    await waitFor('the other instance to take the deliveries over', async () => {
      await queryTestDatabase(`UPDATE ${schema}.relay_instances SET seen_at = now() - interval '1 hour' WHERE id = $1`, [
        instance(stalled),
      ]);
      const held = await owners(waiting);
      return held.length === 5 && held.every((owner) => owner === instance(other));
    });
    healed = true;
    await waitFor('every delivery to succeed', async () =>
      (await deliveries(other, endpoint.id)).every((d) => d.status === 'succeeded'),
    );
    // Both instances had them queued for the same moment: a send by the stalled one would be a second success.
    assert.deepEqual([...succeeded].sort(), [...events].sort(), 'each event was sent once after the takeover');
  });
});
