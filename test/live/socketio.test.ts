import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { connect as tcpConnect, type Socket as TcpSocket } from 'node:net';
import { after, describe, it, type TestContext } from 'node:test';
import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents, SubscribeAck, SubscribeRequest } from '../../server/live/protocol.ts';
import type { RelayEvent } from '../../server/store/types.ts';
import { ADMIN_TOKEN, type TestRelay } from '../helpers/relay.ts';
import { waitFor } from '../helpers/wait.ts';
import { sendWebhook, startLiveRelay, storedEvents, subscriberToken, emitUntilCut } from './live-helpers.ts';

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

/** A masked client text frame (payloads under 126 bytes are all this test sends). */
function wsText(text: string): Buffer {
  const payload = Buffer.from(text);
  const mask = randomBytes(4);
  return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, payload.map((b, i) => b ^ mask[i % 4])]);
}

/** A Socket.IO subscriber spoken by hand over a raw TCP socket, so the test can stop reading. */
async function rawSubscriber(relay: TestRelay): Promise<TcpSocket> {
  const socket = tcpConnect(Number(new URL(relay.url).port), '127.0.0.1');
  const key = randomBytes(16).toString('base64');
  socket.write(
    'GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  let seen = '';
  const until = (text: string) =>
    new Promise<void>((resolve) => {
      const check = () => {
        if (!seen.includes(text)) return;
        socket.off('data', onData);
        resolve();
      };
      const onData = (chunk: Buffer) => {
        seen += chunk.toString('latin1');
        check();
      };
      socket.on('data', onData);
      check();
    });
  await until('0{"sid"');
  socket.write(wsText(`40${JSON.stringify({ token: ADMIN_TOKEN })}`));
  await until('40{"sid"');
  socket.write(wsText('420["subscribe",{}]'));
  await until('430[{"ok":true}]');
  return socket;
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

  it('keeps a source-scoped token to its sources and refuses malformed subscriptions', async (t) => {
    const relay = await live();
    const token = await subscriberToken(relay, ['a']);
    const { socket, received } = connectClient(t, relay, token);
    const refused = await subscribe(socket, { sources: ['b'] });
    assert.equal(refused.ok, false);
    assert.equal(!refused.ok && refused.error.code, 'forbidden');
    const malformed = (await socket.timeout(10_000).emitWithAck('subscribe', 'a' as SubscribeRequest)) as SubscribeAck;
    assert.equal(!malformed.ok && malformed.error.code, 'invalid_request');
    const badCursor = await subscribe(socket, { after: 'yesterday' });
    assert.equal(!badCursor.ok && badCursor.error.code, 'invalid_request');
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
    for (let i = 0; i < 1000; i++) await relay.relay.ctx.eventService.emit({ source: 'b', type: 'backlog', payload: { i } });
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

  it('cuts off a socket that stops reading while a fast one keeps receiving everything', async (t) => {
    const relay = await live({ stream: { maxBufferBytes: 262_144 } });
    const fast = connectClient(t, relay, ADMIN_TOKEN);
    assert.deepEqual(await subscribe(fast.socket, {}), { ok: true });
    const slow = await rawSubscriber(relay);
    t.after(() => slow.destroy());
    slow.pause(); // stops reading: the kernel buffers fill, then the relay's own buffer
    await emitUntilCut(relay, 'socketio', () => fast.received.length);
    assert.deepEqual(
      fast.received.map((e) => e.id),
      (await storedEvents(relay)).map((e) => e.id),
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

  it('the example client prints events for its subscription', async (t) => {
    const relay = await live();
    const example = fileURLToPath(new URL('../../examples/socketio-client.ts', import.meta.url));
    const child = spawn(process.execPath, [example, '--source', 'a'], {
      env: { ...process.env, HOOKRELAY_URL: relay.url, HOOKRELAY_TOKEN: ADMIN_TOKEN },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    t.after(async () => {
      child.kill('SIGINT');
      await exited;
    });
    const lines: string[] = [];
    const notes: string[] = [];
    createInterface({ input: child.stdout }).on('line', (l) => lines.push(l));
    createInterface({ input: child.stderr }).on('line', (l) => notes.push(l));
    await waitFor('the example subscribed', () => notes.includes('subscribed'));
    await sendWebhook(relay, 'b', { type: 'skipped' });
    const printed = await sendWebhook(relay, 'a', { type: 'printed' });
    await waitFor('a printed event', () => lines.length > 0);
    const [, source, type, id] = lines[0].split(/\s+/);
    assert.deepEqual([source, type, id], ['a', 'printed', printed]);
    assert.equal(lines.length, 1);
  });
});
