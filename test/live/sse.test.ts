import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, describe, it, type TestContext } from 'node:test';
import { EventSource } from 'eventsource';
import { io } from 'socket.io-client';
import type { RelayEvent } from '../../server/store/types.ts';
import { ADMIN_TOKEN, type TestRelay } from '../helpers/relay.ts';
import { waitFor } from '../helpers/wait.ts';
import {
  sendWebhook,
  sseFrames,
  startLiveRelay,
  storedEvents,
  subscriberToken,
  trackStreams,
  emitUntilCut,
} from './live-helpers.ts';

function follow(t: TestContext, url: string) {
  const received: RelayEvent[] = [];
  const gaps: unknown[] = [];
  let opens = 0;
  const source = new EventSource(url);
  source.onopen = () => opens++;
  source.onmessage = (message) => received.push(JSON.parse(message.data) as RelayEvent);
  source.addEventListener('gap', (message) => gaps.push(JSON.parse(message.data)));
  t.after(() => source.close());
  return { source, received, gaps, opens: () => opens };
}

describe('SSE live stream', () => {
  const relays: TestRelay[] = [];
  const live = async (options: Parameters<typeof startLiveRelay>[0] = {}) => {
    const relay = await startLiveRelay(options);
    relays.push(relay);
    return relay;
  };
  after(() => Promise.all(relays.map((r) => r.stop())));

  it('delivers every event exactly once and in order across forced disconnects during concurrent ingest', async (t) => {
    const relay = await live();
    const sockets = trackStreams(relay);
    const first = await sendWebhook(relay, 'a', { type: 'before.cursor' });
    // A backlog to replay from the cursor, long enough that ingest goes on while it is read.
    for (let i = 0; i < 2000; i++) await relay.relay.ctx.eventService.emit({ source: 'b', type: 'backlog', payload: { i } });
    const client = follow(t, `${relay.url}/v1/events/stream?access_token=${ADMIN_TOKEN}&after=${first}`);
    let webhooks = 0;
    let internal = 0;
    const ingest = Promise.all([
      ...Array.from({ length: 4 }, async () => {
        while (webhooks < 200) await sendWebhook(relay, webhooks++ % 2 ? 'a' : 'b', { type: 'load', n: webhooks });
      }),
      (async () => {
        for (; internal < 1500; internal++) {
          await relay.relay.ctx.eventService.emit({ source: 'a', type: 'internal', payload: { internal } });
          await new Promise((resolve) => setImmediate(resolve));
        }
      })(),
    ]);
    for (const count of [1000, 2500]) {
      await waitFor(`${count} events`, () => client.received.length >= count);
      for (const socket of sockets.splice(0)) socket.destroy();
    }
    await ingest;
    const stored = await storedEvents(relay, first, 5000);
    await waitFor('every stored event', () => client.received.length >= stored.length);
    assert.equal(stored.length, 2000 + 200 + 1500);
    assert.deepEqual(
      client.received.map((e) => e.id),
      stored.map((e) => e.id),
    );
    assert.ok(client.opens() >= 3, `expected reconnections, saw ${client.opens()} opens`);
  });

  it('cuts off a subscriber that stops reading while a fast one keeps receiving everything', async (t) => {
    const relay = await live({ stream: { maxBufferBytes: 262_144 } });
    const fast = follow(t, `${relay.url}/v1/events/stream?access_token=${ADMIN_TOKEN}`);
    await waitFor('fast subscriber open', () => fast.opens() === 1);
    const { port } = new URL(relay.url);
    const slow = connect(Number(port), '127.0.0.1');
    t.after(() => slow.destroy());
    slow.write(`GET /v1/events/stream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${ADMIN_TOKEN}\r\n\r\n`);
    await new Promise((resolve) => slow.once('data', resolve));
    slow.pause(); // stops reading: the kernel buffers fill, then the relay's own buffer
    await emitUntilCut(relay, 'sse', () => fast.received.length);
    const stored = await storedEvents(relay);
    assert.deepEqual(
      fast.received.map((e) => e.id),
      stored.map((e) => e.id),
    );
  });

  it('sends a gap frame first when the cursor is older than retention, then the kept events', async () => {
    const relay = await live({ retention: { maxEvents: 5 } });
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) ids.push(await sendWebhook(relay, 'a', { type: 'old', i }));
    const res = await fetch(`${relay.url}/v1/events/stream?after=${ids[1]}`, { headers: relay.auth });
    const frames: string[] = [];
    for await (const frame of sseFrames(res.body as ReadableStream<Uint8Array>)) {
      frames.push(frame);
      if (frames.length === 7) break;
    }
    assert.match(frames[0], /^retry: \d+$/);
    assert.equal(frames[1], `event: gap\ndata: ${JSON.stringify({ after: ids[1], oldest_id: ids[5] })}`);
    assert.deepEqual(
      frames.slice(2).map((f) => f.split('\n')[0]),
      ids.slice(5).map((id) => `id: ${id}`),
    );
  });

  it('resumes from Last-Event-ID without a gap frame when the cursor is still kept', async () => {
    const relay = await live();
    const ids = [await sendWebhook(relay, 'a', { type: 'x' }), await sendWebhook(relay, 'a', { type: 'y' })];
    const res = await fetch(`${relay.url}/v1/events/stream`, { headers: { ...relay.auth, 'last-event-id': ids[0] } });
    const frames: string[] = [];
    for await (const frame of sseFrames(res.body as ReadableStream<Uint8Array>)) {
      frames.push(frame);
      if (frames.length === 2) break;
    }
    assert.equal(frames[1].split('\n')[0], `id: ${ids[1]}`);
  });

  it('shows a source-scoped token only its sources and refuses other sources', async (t) => {
    const relay = await live();
    const token = await subscriberToken(relay, ['a']);
    const refused = await fetch(`${relay.url}/v1/events/stream?source=b&access_token=${token}`);
    assert.equal(refused.status, 403);
    assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'forbidden');
    const client = follow(t, `${relay.url}/v1/events/stream?access_token=${token}`);
    await waitFor('open', () => client.opens() === 1);
    await sendWebhook(relay, 'b', { type: 'hidden' });
    const visible = await sendWebhook(relay, 'a', { type: 'shown' });
    await waitFor('the visible event', () => client.received.length >= 1);
    assert.deepEqual(
      client.received.map((e) => e.id),
      [visible],
    );
  });

  it('filters by source and type globs', async (t) => {
    const relay = await live();
    const client = follow(t, `${relay.url}/v1/events/stream?access_token=${ADMIN_TOKEN}&source=b&type=invoice.*`);
    await waitFor('open', () => client.opens() === 1);
    await sendWebhook(relay, 'a', { type: 'invoice.paid' });
    await sendWebhook(relay, 'b', { type: 'customer.created' });
    const wanted = await sendWebhook(relay, 'b', { type: 'invoice.paid' });
    await waitFor('the matching event', () => client.received.length >= 1);
    assert.deepEqual(
      client.received.map((e) => [e.id, e.source, e.type]),
      [[wanted, 'b', 'invoice.paid']],
    );
  });

  it('refuses a missing token and a malformed cursor with coded errors', async () => {
    const relay = await live();
    const anonymous = await fetch(`${relay.url}/v1/events/stream`);
    assert.equal(anonymous.status, 401);
    const badCursor = await fetch(`${relay.url}/v1/events/stream?after=nope`, { headers: relay.auth });
    assert.equal(badCursor.status, 400);
    assert.equal(((await badCursor.json()) as { error: { code: string } }).error.code, 'invalid_request');
  });

  it('refuses subscribers beyond stream.maxSubscribers, over SSE and Socket.IO alike', async (t) => {
    const relay = await live({ stream: { maxSubscribers: 1 } });
    const first = follow(t, `${relay.url}/v1/events/stream?access_token=${ADMIN_TOKEN}`);
    await waitFor('the first subscriber', () => first.opens() === 1);
    const second = await fetch(`${relay.url}/v1/events/stream`, { headers: relay.auth });
    assert.equal(second.status, 503);
    assert.equal(((await second.json()) as { error: { code: string } }).error.code, 'too_many_subscribers');
    const socket = io(relay.url, {
      path: '/socket.io',
      auth: { token: ADMIN_TOKEN },
      transports: ['websocket'],
      reconnection: false,
    });
    t.after(() => socket.disconnect());
    const error = await new Promise<Error & { data?: { code: string } }>((resolve) => socket.once('connect_error', resolve));
    assert.equal(error.data?.code, 'too_many_subscribers');
  });

  it('disconnects SSE and Socket.IO subscribers whose token is revoked', async (t) => {
    const relay = await live({ stream: { keepaliveSeconds: 0.05 } });
    const created = await fetch(`${relay.url}/v1/tokens`, {
      method: 'POST',
      headers: { ...relay.auth, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'soon revoked' }),
    });
    const { id, token } = (await created.json()) as { id: string; token: string };
    const sse = follow(t, `${relay.url}/v1/events/stream?access_token=${token}`);
    const admin = follow(t, `${relay.url}/v1/events/stream?access_token=${ADMIN_TOKEN}`);
    const socket = io(relay.url, { path: '/socket.io', auth: { token }, transports: ['websocket'] });
    t.after(() => socket.disconnect());
    const reasons: string[] = [];
    socket.on('disconnect', (reason) => reasons.push(reason));
    await waitFor('both connected', () => sse.opens() === 1 && admin.opens() === 1 && socket.connected);
    await fetch(`${relay.url}/v1/tokens/${id}`, { method: 'DELETE', headers: relay.auth });
    // EventSource reconnects once, is refused with 401, and gives up.
    await waitFor('the SSE subscriber refused', () => sse.source.readyState === EventSource.CLOSED);
    await waitFor('the socket disconnected by the relay', () => reasons.includes('io server disconnect'));
    const still = await sendWebhook(relay, 'a', { type: 'after.revocation' });
    await waitFor('the admin stream still flowing', () => admin.received.some((e) => e.id === still));
    assert.equal(sse.received.length, 0);
  });

  it('sends stream headers, a retry hint and comment keepalives', async () => {
    const relay = await live({ stream: { keepaliveSeconds: 0.05, retryMs: 1500 } });
    const res = await fetch(`${relay.url}/v1/events/stream`, { headers: { ...relay.auth, 'accept-encoding': 'gzip' } });
    assert.equal(res.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    assert.equal(res.headers.get('x-accel-buffering'), 'no');
    assert.match(res.headers.get('cache-control') ?? '', /no-cache/);
    assert.equal(res.headers.get('content-encoding'), null);
    const frames: string[] = [];
    for await (const frame of sseFrames(res.body as ReadableStream<Uint8Array>)) {
      frames.push(frame);
      if (frames.length === 3) break;
    }
    assert.deepEqual(frames, ['retry: 1500', ': keepalive', ': keepalive']);
  });
});
