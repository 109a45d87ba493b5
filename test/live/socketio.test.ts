import assert from 'node:assert/strict';
import type { Socket as TcpSocket } from 'node:net';
import { after, describe, it, type TestContext } from 'node:test';
import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents, SubscribeAck, SubscribeRequest } from '../../server/live/protocol.ts';
import type { RelayEvent } from '../../server/store/types.ts';
import { ADMIN_TOKEN, type TestRelay } from '../helpers/relay.ts';
import { waitFor } from '../helpers/wait.ts';
import { sendWebhook, startLiveRelay, storedEvents, subscriberToken } from './live-helpers.ts';

type LiveClient = Socket<ServerToClientEvents, ClientToServerEvents>;

function connectClient(t: TestContext, relay: TestRelay, token: string | undefined) {
  const socket: LiveClient = io(relay.url, {
    path: '/socket.io',
    auth: token === undefined ? {} : { token },
    transports: ['websocket'],
    reconnectionDelay: 20,
    reconnectionDelayMax: 50,
  });
  const received: RelayEvent[] = [];
  socket.on('event', (event) => received.push(event));
  t.after(() => socket.disconnect());
  return { socket, received };
}

const subscribe = (socket: LiveClient, request: SubscribeRequest) =>
  socket.timeout(10_000).emitWithAck('subscribe', request) as Promise<SubscribeAck>;

async function connected(socket: LiveClient): Promise<void> {
  if (socket.connected) return;
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
}

describe('Socket.IO live stream', () => {
  const relays: TestRelay[] = [];
  const live = async (options: Parameters<typeof startLiveRelay>[0] = {}) => {
    const relay = await startLiveRelay(options);
    relays.push(relay);
    return relay;
  };
  after(() => Promise.all(relays.map((r) => r.stop())));

  it('refuses a handshake without a valid token with a clear connect_error', async (t) => {
    const relay = await live();
    for (const token of [undefined, 'not-a-token']) {
      const { socket } = connectClient(t, relay, token);
      socket.io.opts.reconnection = false;
      const error = await new Promise<Error & { data?: { code: string } }>((resolve) => socket.once('connect_error', resolve));
      assert.match(error.message, /^unauthorized: /);
      assert.equal(error.data?.code, 'unauthorized');
      assert.equal(socket.connected, false);
    }
  });

  it('delivers only what a subscription selects, to every socket in the same room', async (t) => {
    const relay = await live();
    const one = connectClient(t, relay, ADMIN_TOKEN);
    const two = connectClient(t, relay, ADMIN_TOKEN);
    const all = connectClient(t, relay, ADMIN_TOKEN);
    for (const c of [one, two])
      assert.deepEqual(await subscribe(c.socket, { sources: ['b'], types: ['invoice.*'] }), { ok: true });
    assert.deepEqual(await subscribe(all.socket, {}), { ok: true });
    const ids = [
      await sendWebhook(relay, 'a', { type: 'invoice.paid' }),
      await sendWebhook(relay, 'b', { type: 'customer.created' }),
      await sendWebhook(relay, 'b', { type: 'invoice.paid' }),
    ];
    await waitFor('every event on the unfiltered socket', () => all.received.length === 3);
    await waitFor('the matching event on both filtered sockets', () => one.received.length >= 1 && two.received.length >= 1);
    assert.deepEqual(
      all.received.map((e) => e.id),
      ids,
    );
    for (const c of [one, two]) {
      assert.deepEqual(
        c.received.map((e) => e.id),
        [ids[2]],
      );
    }
  });

  it('keeps a source-scoped token to its sources', async (t) => {
    const relay = await live();
    const token = await subscriberToken(relay, ['a']);
    const { socket, received } = connectClient(t, relay, token);
    const refused = await subscribe(socket, { sources: ['b'] });
    assert.equal(refused.ok, false);
    assert.equal(!refused.ok && refused.error.code, 'forbidden');
    assert.deepEqual(await subscribe(socket, { sources: ['*'] }), { ok: true });
    await sendWebhook(relay, 'b', { type: 'hidden' });
    const visible = await sendWebhook(relay, 'a', { type: 'shown' });
    await waitFor('the visible event', () => received.length >= 1);
    assert.deepEqual(
      received.map((e) => e.id),
      [visible],
    );
  });

  it('recovers a dropped connection with every event exactly once and in order', async (t) => {
    const relay = await live();
    const upgrades: TcpSocket[] = [];
    relay.relay.server.on('upgrade', (_req, socket: TcpSocket) => upgrades.push(socket));
    const { socket, received } = connectClient(t, relay, ADMIN_TOKEN);
    assert.deepEqual(await subscribe(socket, {}), { ok: true });
    let recovered = 0;
    socket.on('connect', () => {
      if (socket.recovered) recovered++;
    });
    let sent = 0;
    const ingest = Promise.all(
      Array.from({ length: 3 }, async () => {
        while (sent < 150) await sendWebhook(relay, sent++ % 2 ? 'a' : 'b', { type: 'load', n: sent });
      }),
    );
    await waitFor('some events', () => received.length >= 40);
    for (const tcp of upgrades.splice(0)) tcp.destroy();
    await waitFor('the connection recovered', () => recovered === 1);
    await ingest;
    const stored = await storedEvents(relay);
    await waitFor('every event', () => received.length >= stored.length);
    assert.deepEqual(
      received.map((e) => e.id),
      stored.map((e) => e.id),
    );
  });

  it('resumes with `after` on a new connection: backlog first, then live, under concurrent ingest', async (t) => {
    const relay = await live({ retention: { maxEvents: 2000 } });
    const cursor = await sendWebhook(relay, 'a', { type: 'seen' });
    for (let i = 0; i < 1000; i++) await relay.relay.ctx.events.emit({ source: 'b', type: 'backlog', payload: { i } });
    const { socket, received } = connectClient(t, relay, ADMIN_TOKEN);
    await connected(socket);
    let sent = 0;
    const ingest = (async () => {
      while (sent < 100) await sendWebhook(relay, 'a', { type: 'load', n: sent++ });
    })();
    assert.deepEqual(await subscribe(socket, { after: cursor }), { ok: true });
    await ingest;
    const stored = await storedEvents(relay, cursor, 5000);
    await waitFor('every event after the cursor', () => received.length >= stored.length);
    assert.equal(stored.length, 1100);
    assert.deepEqual(
      received.map((e) => e.id),
      stored.map((e) => e.id),
    );
  });

  it('sends a gap event first when `after` is older than retention', async (t) => {
    const relay = await live({ retention: { maxEvents: 3 } });
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push(await sendWebhook(relay, 'a', { type: 'old', i }));
    const { socket, received } = connectClient(t, relay, ADMIN_TOKEN);
    const order: string[] = [];
    socket.on('gap', (gap) => order.push(`gap ${gap.after} ${gap.oldest_id}`));
    socket.on('event', (event) => order.push(event.id));
    assert.deepEqual(await subscribe(socket, { after: ids[0] }), { ok: true });
    await waitFor('the kept events', () => received.length === 3);
    assert.deepEqual(order, [`gap ${ids[0]} ${ids[3]}`, ...ids.slice(3)]);
  });
});
