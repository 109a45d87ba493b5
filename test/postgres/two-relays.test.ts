import { MIGRATIONS } from '../../server/store/postgres/migrations.ts';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { EventSource } from 'eventsource';
import { io } from 'socket.io-client';
import type { RelayEvent } from '../../server/store/types.ts';
import { dropSchemas, newSchema, queryTestDatabase, skipWithoutPostgres, testDatabaseUrl } from '../helpers/postgres.ts';
import { ADMIN_TOKEN, startRelay, type TestRelay } from '../helpers/relay.ts';
import { waitFor } from '../helpers/wait.ts';
import { signedShop } from '../helpers/signed-source.ts';

const { source, ingest } = signedShop('two relays, one database');

describe('two relay instances sharing one PostgreSQL database', { skip: skipWithoutPostgres }, () => {
  const schema = newSchema();
  let a: TestRelay;
  let b: TestRelay;
  before(async () => {
    const postgres = { url: testDatabaseUrl ?? '', schema };
    // Started together on an empty schema: the migrations' advisory lock lets one of them apply them.
    [a, b] = await Promise.all([
      startRelay({ driver: 'postgres', postgres, sources: [source] }),
      startRelay({ driver: 'postgres', postgres, sources: [source] }),
    ]);
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await dropSchemas([schema]);
  });

  it('applied the migrations exactly once although both started on an empty schema', async () => {
    const rows = await queryTestDatabase<{ version: number }>(`SELECT version FROM ${schema}.schema_migrations`);
    assert.deepEqual(
      rows.map((r) => r.version).sort((x, y) => x - y),
      MIGRATIONS.map((m) => m.version),
    );
  });

  it('answers a provider retry that lands on the other instance as a duplicate of the first event', async () => {
    const first = await ingest(a, 'msg_cross_instance', { type: 'order.created', n: 1 });
    const retry = await ingest(b, 'msg_cross_instance', { type: 'order.created', n: 1 });
    assert.deepEqual(retry, { id: first.id, duplicate: true });
    const stored = await queryTestDatabase<{ n: string }>(
      `SELECT count(*) AS n FROM ${schema}.events WHERE provider_id = 'msg_cross_instance'`,
    );
    assert.equal(stored[0].n, '1');
  });

  it('streams an event ingested on one instance to an SSE subscriber on the other, in id order', async (t) => {
    const received: RelayEvent[] = [];
    let opened = false;
    const stream = new EventSource(`${b.url}/v1/events/stream?access_token=${ADMIN_TOKEN}&type=order.shipped`);
    stream.onopen = () => {
      opened = true;
    };
    stream.onmessage = (message) => received.push(JSON.parse(message.data) as RelayEvent);
    t.after(() => stream.close());
    await waitFor('the subscriber on B to be connected', () => opened);
    const sent = [];
    for (let n = 0; n < 5; n++) sent.push((await ingest(a, `msg_shipped_${n}`, { type: 'order.shipped', n })).id);
    await waitFor('five events from A on B', () => received.length >= 5);
    assert.deepEqual(
      received.map((e) => e.id),
      sent,
    );
    assert.equal(received[0].source, 'shop');
    assert.deepEqual(received[0].payload, { type: 'order.shipped', n: 0 });
  });

  it('sends an event ingested on one instance to a Socket.IO subscriber on the other', async (t) => {
    const socket = io(b.url, { path: '/socket.io', auth: { token: ADMIN_TOKEN }, transports: ['websocket'] });
    t.after(() => socket.disconnect());
    const received: RelayEvent[] = [];
    socket.on('event', (event: RelayEvent) => received.push(event));
    const ack = await socket.timeout(10_000).emitWithAck('subscribe', { types: ['order.refunded'] });
    assert.deepEqual(ack, { ok: true });
    const { id } = await ingest(a, 'msg_refunded', { type: 'order.refunded' });
    await waitFor('the event from A on a Socket.IO client of B', () => received.length === 1);
    assert.equal(received[0].id, id);
  });

  it('gives work subscribers only the events their own instance stored, and live subscribers all of them', async (t) => {
    const ownOnly: string[] = [];
    const everyInstance: string[] = [];
    const stops = [
      b.relay.ctx.bus.subscribe((event) => ownOnly.push(event.id)),
      b.relay.ctx.bus.subscribe((event) => everyInstance.push(event.id), { everyInstance: true }),
    ];
    t.after(() => {
      for (const stop of stops) stop();
    });
    const fromA = await ingest(a, 'msg_bus_a', { type: 'order.paid' });
    await waitFor('the event from A on B', () => everyInstance.includes(fromA.id));
    assert.deepEqual(ownOnly, [], 'a delivery engine on B must not act on an event A stored');
    const fromB = await ingest(b, 'msg_bus_b', { type: 'order.paid' });
    assert.deepEqual(ownOnly, [fromB.id]);
    assert.deepEqual(everyInstance, [fromA.id, fromB.id]);
  });

  it('publishes on B events from A as B reads them back, whether they fit in a NOTIFY or are too large for one', async (t) => {
    const heard: RelayEvent[] = [];
    t.after(b.relay.ctx.bus.subscribe((event) => heard.push(event), { everyInstance: true }));
    // A NOTIFY payload holds under 8,000 bytes: the large event is announced by id and read by B.
    const small = await ingest(a, 'msg_notice_small', { type: 'order.noticed', note: 'é\u0000' });
    const large = await ingest(a, 'msg_notice_large', { type: 'order.noticed', note: 'é'.repeat(6000) });
    await waitFor('both events from A on B', () => heard.length >= 2);
    for (const [i, { id }] of [small, large].entries()) {
      const res = await fetch(`${b.url}/v1/events/${id}`, { headers: b.auth });
      assert.deepEqual(heard[i], await res.json());
    }
  });

  it('re-establishes a lost LISTEN connection and publishes what other instances stored meanwhile', async (t) => {
    const heard: string[] = [];
    t.after(b.relay.ctx.bus.subscribe((event) => heard.push(event.id), { everyInstance: true }));
    const listening = `LISTEN "hookrelay_events_${schema}"`;
    const listeners = () => queryTestDatabase<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE query = $1', [listening]);
    // A and B both listen; end both connections (as a database restart would).
    const before = await listeners();
    assert.equal(before.length, 2);
    await queryTestDatabase('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = $1', [listening]);
    await waitFor('the LISTEN connections to be gone', async () => (await listeners()).length === 0);
    const missed = await ingest(a, 'msg_while_disconnected', { type: 'order.missed' });
    await waitFor('B to publish the event it missed', () => heard.includes(missed.id));
    await waitFor('both instances listening again', async () => (await listeners()).length === 2);
    const after = await ingest(a, 'msg_after_reconnect', { type: 'order.after' });
    await waitFor('B to hear events again', () => heard.includes(after.id));
    assert.deepEqual(heard, [missed.id, after.id]);
  });

  it('lists on one instance what was ingested on the other', async () => {
    const { id } = await ingest(a, 'msg_listed', { type: 'order.listed' });
    const res = await fetch(`${b.url}/v1/events?type=order.listed`, { headers: b.auth });
    const page = (await res.json()) as { data: RelayEvent[] };
    assert.deepEqual(
      page.data.map((e) => e.id),
      [id],
    );
    const raw = await fetch(`${b.url}/v1/events/${id}/raw`, { headers: b.auth });
    assert.equal(await raw.text(), JSON.stringify({ type: 'order.listed' }));
  });

  it('accepts on one instance a subscriber token made on the other, until it is revoked there', async () => {
    const made = await fetch(`${a.url}/v1/tokens`, {
      method: 'POST',
      headers: { ...a.auth, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'dashboard' }),
    });
    assert.equal(made.status, 201);
    const { id, token } = (await made.json()) as { id: string; token: string };
    const readOnB = () => fetch(`${b.url}/v1/events?limit=1`, { headers: { authorization: `Bearer ${token}` } });
    await waitFor('B to accept the token', async () => (await readOnB()).status === 200);
    const revoked = await fetch(`${a.url}/v1/tokens/${id}`, { method: 'DELETE', headers: a.auth });
    assert.equal(revoked.status, 200);
    await waitFor('B to refuse the revoked token', async () => (await readOnB()).status === 401);
  });

  it('re-reads its tables after losing the cluster channel, so changes made meanwhile are not missed', async () => {
    const listening = `LISTEN "hookrelay_cluster_${schema}"`;
    const listeners = () => queryTestDatabase<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE query = $1', [listening]);
    assert.equal((await listeners()).length, 2);
    await queryTestDatabase('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = $1', [listening]);
    await waitFor('the cluster channel connections to be gone', async () => (await listeners()).length === 0);
    const made = await fetch(`${a.url}/v1/tokens`, {
      method: 'POST',
      headers: { ...a.auth, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'made while B was not listening' }),
    });
    const { token } = (await made.json()) as { token: string };
    await waitFor('both instances listening again', async () => (await listeners()).length === 2);
    await waitFor('B to accept the token made meanwhile', async () => {
      const res = await fetch(`${b.url}/v1/events?limit=1`, { headers: { authorization: `Bearer ${token}` } });
      return res.status === 200;
    });
  });
});
