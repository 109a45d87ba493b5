import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type ChildRelay, spawnRelay } from '../helpers/child-relay.ts';
import { Receiver } from '../delivery/receiver.ts';
import { createEndpoint } from '../delivery/setup.ts';
import { dropSchemas, newSchema, queryTestDatabase, skipWithoutPostgres, testDatabaseUrl } from '../helpers/postgres.ts';
import { startRelay, type TestRelay } from '../helpers/relay.ts';
import { waitFor } from '../helpers/wait.ts';
import { signedShop } from '../helpers/signed-source.ts';

const shop = signedShop('a relay killed mid-delivery');
const { source } = shop;
const ingest = async (...args: Parameters<typeof shop.ingest>) => (await shop.ingest(...args)).id;

const DELIVERY = { concurrency: 2, sweepIntervalSeconds: 1, scheduleSeconds: [0, 1, 1, 1, 1, 1, 1, 1] };
/**
 * The survivors must stay live for each other: a survivor whose heartbeats (every third of the lease)
 * land later than the lease is taken for dead, and its attempts in flight are sent again, as
 * documented. A 1 s lease was lapsed by live relays in a loaded test process; 3 s needs a stall of
 * seconds. The kill is noticed a lease later.
 */
const LEASE_SECONDS = 3;
/** Bounds for states a slow machine reaches later, not for how fast the relay must be. */
const WAIT_MS = 60_000;

describe('deliveries of a relay instance killed with SIGKILL', { skip: skipWithoutPostgres }, () => {
  const schema = newSchema();
  let dataDir = '';
  let child: ChildRelay | undefined;
  let relays: TestRelay[] = [];
  let receiver: Receiver;
  const claimOwners = async (prefix: string) =>
    (
      await queryTestDatabase<{ owner: string }>(`SELECT owner FROM ${schema}.relay_claims WHERE key LIKE $1`, [`${prefix}%`])
    ).map((r) => r.owner);

  before(async () => {
    receiver = await new Receiver().start();
    dataDir = await mkdtemp(join(tmpdir(), 'hookrelay-takeover-'));
  });
  after(async () => {
    child?.child.kill('SIGKILL');
    await Promise.all(relays.map((r) => r.stop()));
    await receiver?.stop();
    await rm(dataDir, { recursive: true, force: true });
    await dropSchemas([schema]);
  });

  it('are taken over by the survivors: every event delivered, twice only where an attempt was in flight at the kill', async () => {
    const configYaml = JSON.stringify({
      sources: [source],
      store: { driver: 'postgres', url: testDatabaseUrl, schema, leaseSeconds: LEASE_SECONDS },
      delivery: DELIVERY,
    });
    child = await spawnRelay({ dataDir, configYaml });
    // Started alone, the child leads fan-out: it creates, and holds, every delivery until it dies.
    const [childInstance] = await waitFor(
      'the child to lead fan-out',
      async () => {
        const owners = await claimOwners('role:delivery.fanout');
        return owners.length === 1 ? owners : null;
      },
      WAIT_MS,
    );
    const options = {
      driver: 'postgres' as const,
      postgres: { url: testDatabaseUrl ?? '', schema, leaseSeconds: LEASE_SECONDS },
      sources: [source],
      sections: { delivery: DELIVERY },
    };
    relays = await Promise.all([startRelay(options), startRelay(options)]);
    const [a, b] = relays;

    let healed = false;
    const succeeded: string[] = [];
    receiver.answer = (_i, req) => {
      if (!healed) return req.path === '/hang' ? 'hang' : { status: 500 };
      succeeded.push(`${req.path} ${req.headers['webhook-id']}`);
      return { status: 200 };
    };
    const hang = await createEndpoint(a, { url: `${receiver.url}/hang` });
    const retrying = await createEndpoint(b, { url: `${receiver.url}/retry` });
    receiver.secrets = [hang.secret, retrying.secret];
    const events: string[] = [];
    for (let i = 0; i < 9; i++) events.push(await ingest([child.url, a.url, b.url][i % 3], `msg_kill_${i}`, { type: 'kill', i }));
    const ids = (path: string) => receiver.received.filter((r) => r.path === path).map((r) => String(r.headers['webhook-id']));
    await waitFor(
      'two attempts hanging and every event failing once at the other endpoint',
      () => {
        return ids('/hang').length === 2 && new Set(ids('/retry')).size === events.length;
      },
      WAIT_MS,
    );
    assert.deepEqual(new Set(await claimOwners('dlv:')), new Set([childInstance]), 'the child holds every delivery');
    const inFlight = ids('/hang');

    child.child.kill('SIGKILL');
    await child.exited;
    healed = true;
    // Acknowledged while nobody leads fan-out yet: the next leader's recovery creates their deliveries.
    for (let i = 0; i < 3; i++) events.push(await ingest([a.url, b.url][i % 2], `msg_after_kill_${i}`, { type: 'kill', i }));

    const wanted = events.flatMap((id) => [`/hang ${id}`, `/retry ${id}`]);
    await waitFor('every event at both endpoints', () => wanted.every((key) => succeeded.includes(key)), WAIT_MS);
    assert.deepEqual([...succeeded].sort(), [...wanted].sort(), 'no event was delivered successfully twice');
    for (const id of events) {
      const sentToHang = ids('/hang').filter((x) => x === id).length;
      assert.equal(sentToHang, inFlight.includes(id) ? 2 : 1, `${id} at /hang: resent only if in flight at the kill`);
    }
    for (const r of receiver.received) assert.equal(r.verifiedWith.length, 1, 'signed with the endpoint secret');
    const owners = new Set(await claimOwners('dlv:'));
    assert.ok(!owners.has(childInstance), 'nothing is left held by the dead instance');
  });
});
