import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Receiver } from '../delivery/receiver.ts';
import { api, createEndpoint, type DeliveryJson, deliveries } from '../delivery/setup.ts';
import { dropSchemas, newSchema, queryTestDatabase, skipWithoutPostgres, testDatabaseUrl } from '../helpers/postgres.ts';
import { startRelay, type TestRelay } from '../helpers/relay.ts';
import { waitFor } from '../helpers/wait.ts';
import { signedShop } from '../helpers/signed-source.ts';

const shop = signedShop('deliveries across relay instances');
const { source } = shop;
const ingest = async (...args: Parameters<typeof shop.ingest>) => (await shop.ingest(...args)).id;

describe('deliveries with three relay instances on one PostgreSQL database', { skip: skipWithoutPostgres }, () => {
  const schema = newSchema();
  let relays: TestRelay[] = [];
  let receiver: Receiver;
  const at = (path: string) => receiver.received.filter((r) => r.path === path);
  const claimOwner = async (key: string) =>
    (await queryTestDatabase<{ owner: string }>(`SELECT owner FROM ${schema}.relay_claims WHERE key = $1`, [key]))[0]?.owner;
  const byInstance = (instanceId: string | undefined) => relays.find((r) => r.relay.ctx.cluster.instanceId === instanceId);
  /** The relay leading fan-out, and the two others. */
  async function roles() {
    const leader = await waitFor('a fan-out leader', async () => byInstance(await claimOwner('role:delivery.fanout')));
    return { leader, followers: relays.filter((r) => r !== leader) };
  }

  before(async () => {
    receiver = await new Receiver().start();
    const options = {
      driver: 'postgres' as const,
      // Nobody dies here: a lease of 2 s keeps a loaded test machine from looking like a dead instance.
      postgres: { url: testDatabaseUrl ?? '', schema, leaseSeconds: 2 },
      sources: [source],
      // A failed attempt waits an hour: only a retry (or a takeover) sends it again within a test.
      sections: { delivery: { sweepIntervalSeconds: 1, scheduleSeconds: [0, 3600, 3600] } },
    };
    relays = [await startRelay(options)];
    relays.push(...(await Promise.all([startRelay(options), startRelay(options)])));
  });
  after(async () => {
    await Promise.all(relays.map((r) => r.stop()));
    await receiver?.stop();
    await dropSchemas([schema]);
  });

  it('delivers every event ingested on any instance exactly once, signed with the endpoint secret', async () => {
    const [a, b, c] = relays;
    const endpoint = await createEndpoint(a, { url: `${receiver.url}/once`, filter: { types: ['order.*'] } });
    receiver.secrets = [endpoint.secret];
    const sent: string[] = [];
    for (let i = 0; i < 30; i++) sent.push(await ingest([a, b, c][i % 3], `msg_once_${i}`, { type: 'order.created', i }));
    await waitFor('every delivery to have succeeded', async () => {
      const rows = await deliveries(c, endpoint.id);
      return rows.length === 30 && rows.every((d) => d.status === 'succeeded');
    });
    const got = at('/once');
    assert.equal(got.length, 30, 'each event was sent once');
    assert.deepEqual(got.map((r) => String(r.headers['webhook-id'])).sort(), [...sent].sort());
    for (const r of got) assert.deepEqual(r.verifiedWith, [endpoint.secret]);
    const stored = await queryTestDatabase<{ n: string }>(
      `SELECT count(*) AS n FROM ${schema}.relay_rows WHERE table_name = 'deliveries' AND row->>'endpoint_id' = $1`,
      [endpoint.id],
    );
    assert.equal(stored[0].n, '30', 'one delivery row per event');
  });

  it('fans out to an endpoint created on a follower the moment it exists', async () => {
    const { followers } = await roles();
    for (let k = 0; k < 4; k++) {
      const endpoint = await createEndpoint(followers[k % 2], {
        url: `${receiver.url}/fresh${k}`,
        filter: { types: [`fresh.${k}`] },
      });
      const id = await ingest(followers[(k + 1) % 2], `msg_fresh_${k}`, { type: `fresh.${k}` });
      await waitFor(`the event at new endpoint ${k}`, () => at(`/fresh${k}`).length === 1);
      assert.equal(at(`/fresh${k}`)[0].headers['webhook-id'], id);
      const listed = await waitFor('the delivery listed on a follower', async () => {
        const rows = await deliveries(followers[0], endpoint.id);
        return rows.length > 0 ? rows : null;
      });
      assert.equal(listed.length, 1);
    }
  });

  it('retries on any instance: a pending delivery through the instance holding it, a finished one where asked', async () => {
    const { leader, followers } = await roles();
    receiver.answer = (_i, req) => ({ status: req.path === '/flaky' && at('/flaky').length === 0 ? 500 : 200 });
    const endpoint = await createEndpoint(followers[0], { url: `${receiver.url}/flaky`, filter: { types: ['flaky.*'] } });
    await ingest(followers[1], 'msg_flaky', { type: 'flaky.one' });
    const [failedOnce] = await waitFor('the first attempt to fail', async () => {
      const rows = await deliveries(followers[0], endpoint.id);
      return rows[0]?.attempt_count === 1 ? rows : null;
    });
    assert.equal(failedOnce.status, 'pending');
    assert.equal(await claimOwner(`dlv:${failedOnce.id}`), leader.relay.ctx.cluster.instanceId, 'held by the fan-out leader');

    const asked = await api<DeliveryJson>(followers[0], `/v1/deliveries/${failedOnce.id}/retry`, { method: 'POST' });
    assert.equal(asked.status, 202);
    const succeeded = await waitFor('the retry to succeed', async () => {
      const row = (await api<DeliveryJson>(followers[1], `/v1/deliveries/${failedOnce.id}`)).body;
      return row.status === 'succeeded' ? row : null;
    });
    assert.deepEqual(
      succeeded.attempts.map((a) => a.status_code),
      [500, 200],
    );

    // Finished deliveries are held by nobody: the instance asked claims it and sends it itself.
    const again = await api<DeliveryJson>(followers[1], `/v1/deliveries/${failedOnce.id}/retry`, { method: 'POST' });
    assert.equal(again.status, 202);
    await waitFor('the manual attempt', async () => {
      const row = (await api<DeliveryJson>(leader, `/v1/deliveries/${failedOnce.id}`)).body;
      return row.attempt_count === 3 && row.status === 'succeeded';
    });
    assert.equal(at('/flaky').length, 3);
    await waitFor('the claim to be let go', async () => (await claimOwner(`dlv:${failedOnce.id}`)) === undefined);
  });

  it('fails the pending deliveries the leader holds when their endpoint is disabled on another instance', async () => {
    const { leader, followers } = await roles();
    receiver.answer = (_i, req) => ({ status: req.path === '/disabled' ? 500 : 200 });
    const endpoint = await createEndpoint(followers[0], { url: `${receiver.url}/disabled`, filter: { types: ['disabled.*'] } });
    await ingest(followers[1], 'msg_disabled', { type: 'disabled.one' });
    const [waiting] = await waitFor('the first attempt to fail', async () => {
      const rows = await deliveries(followers[1], endpoint.id);
      return rows[0]?.attempt_count === 1 ? rows : null;
    });
    assert.equal(await claimOwner(`dlv:${waiting.id}`), leader.relay.ctx.cluster.instanceId);
    const patched = await api(followers[0], `/v1/endpoints/${endpoint.id}`, {
      method: 'PATCH',
      body: { enabled: false, disabled_reason: 'maintenance' },
    });
    assert.equal(patched.status, 200);
    const failed = await waitFor('the delivery to fail', async () => {
      const row = (await api<DeliveryJson>(followers[1], `/v1/deliveries/${waiting.id}`)).body;
      return row.status === 'failed' ? row : null;
    });
    assert.equal(failed.last_error, 'endpoint disabled: maintenance');
    assert.equal(failed.attempt_count, 1, 'no attempt after the endpoint was disabled');
    await waitFor('the claim to be let go', async () => (await claimOwner(`dlv:${waiting.id}`)) === undefined);
  });

  it('hands the pending deliveries of an instance that stops to the others, and another leads fan-out', async () => {
    const { leader, followers } = await roles();
    receiver.answer = (_i, req) => ({ status: req.path === '/handover' && at('/handover').length < 3 ? 503 : 200 });
    const endpoint = await createEndpoint(followers[0], { url: `${receiver.url}/handover`, filter: { types: ['handover.*'] } });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(await ingest(followers[i % 2], `msg_handover_${i}`, { type: 'handover.x', i }));
    const waiting = await waitFor('three failed first attempts', async () => {
      const rows = await deliveries(followers[0], endpoint.id);
      return rows.length === 3 && rows.every((d) => d.attempt_count === 1) ? rows : null;
    });
    await leader.stop();
    relays = relays.filter((r) => r !== leader);
    const survivors = new Set(followers.map((r) => r.relay.ctx.cluster.instanceId));
    await waitFor('the deliveries to be held by the survivors', async () => {
      for (const d of waiting) if (!survivors.has(await claimOwner(`dlv:${d.id}`))) return false;
      return true;
    });
    const next = await roles();
    assert.ok(followers.includes(next.leader));

    for (const d of waiting) {
      const res = await api<DeliveryJson>(followers[1], `/v1/deliveries/${d.id}/retry`, { method: 'POST' });
      assert.equal(res.status, 202);
    }
    await waitFor('every delivery to have succeeded after the handover', async () =>
      (await deliveries(followers[1], endpoint.id)).every((d) => d.status === 'succeeded'),
    );
    const fresh = await ingest(followers[1], 'msg_after_handover', { type: 'handover.after' });
    await waitFor('an event after the handover', () => at('/handover').some((r) => r.headers['webhook-id'] === fresh));
    assert.deepEqual(at('/handover').filter((r) => ids.includes(String(r.headers['webhook-id']))).length, 6);
  });
});
