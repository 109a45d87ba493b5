import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { io } from 'socket.io-client';
import type { RelayEvent } from '../../server/store/types.ts';
import { ADMIN_TOKEN, type TestRelay } from '../helpers/relay.ts';
import { waitFor } from '../helpers/wait.ts';
import { startLiveRelay, storedEvents } from '../live/live-helpers.ts';
import { call, createKey } from './helpers.ts';

describe('POST /v1/events with an events:write key', () => {
  let relay: TestRelay;
  let writer: string;
  before(async () => {
    relay = await startLiveRelay();
    writer = (await createKey(relay, { name: 'n8n', scopes: ['events:write'] })).key;
  });
  after(() => relay.stop());

  it('stores the event without a provider signature and fans it out like a webhook', async (t) => {
    const socket = io(relay.url, { path: '/socket.io', auth: { token: ADMIN_TOKEN }, transports: ['websocket'] });
    t.after(() => socket.disconnect());
    const live: RelayEvent[] = [];
    socket.on('event', (event) => live.push(event as RelayEvent));
    await socket.emitWithAck('subscribe', { sources: ['a'] });
    const res = await call(relay, writer, 'POST', '/v1/events', { source: 'a', type: 'order.created', payload: { n: 1 } });
    assert.equal(res.status, 201);
    assert.equal(res.body.duplicate, false);
    assert.deepEqual(res.body.verified, { scheme: 'api' });
    assert.equal(res.body.type, 'order.created');
    const seen = await waitFor('the event on Socket.IO', () => live.find((e) => e.id === res.body.id));
    assert.deepEqual(seen.payload, { n: 1 });
    const stored = await call(relay, ADMIN_TOKEN, 'GET', `/v1/events/${res.body.id}`);
    assert.deepEqual(stored.body.payload, { n: 1 });
    assert.match(stored.body.headers['x-hookrelay-key'], /^key_/);
  });

  it('takes events for a source made through POST /v1/sources, and refuses them once it is deleted', async () => {
    const made = await call(relay, ADMIN_TOKEN, 'POST', '/v1/sources', {
      name: 'runtime-made',
      verify: { scheme: 'standard-webhooks' },
    });
    assert.equal(made.status, 201);
    const res = await call(relay, writer, 'POST', '/v1/events', {
      source: 'runtime-made',
      type: 'job.done',
      payload: { ok: true },
    });
    assert.equal(res.status, 201);
    assert.equal(res.body.source, 'runtime-made');
    assert.equal((await call(relay, ADMIN_TOKEN, 'DELETE', '/v1/sources/runtime-made')).status, 200);
    const gone = await call(relay, writer, 'POST', '/v1/events', { source: 'runtime-made', type: 'job.done', payload: {} });
    assert.deepEqual([gone.status, gone.body.error.code], [404, 'source_not_found']);
  });

  it('de-duplicates by id within a source', async () => {
    const first = await call(relay, writer, 'POST', '/v1/events', { source: 'b', type: 't', payload: 1, id: 'job-7' });
    const again = await call(relay, writer, 'POST', '/v1/events', { source: 'b', type: 't', payload: 2, id: 'job-7' });
    assert.equal(first.status, 201);
    assert.equal(again.status, 200);
    assert.equal(again.body.duplicate, true);
    assert.equal(again.body.id, first.body.id);
    assert.equal((await storedEvents(relay)).filter((e) => e.provider_id === 'job-7').length, 1);
  });

  it('refuses an unknown source, bad input, other sources of a narrowed key and keys without the scope, storing nothing', async () => {
    const count = (await storedEvents(relay)).length;
    const unknown = await call(relay, writer, 'POST', '/v1/events', { source: 'nope', type: 't', payload: {} });
    assert.deepEqual([unknown.status, unknown.body.error.code], [404, 'source_not_found']);
    for (const [body, param] of [
      [{ type: 't', payload: {} }, 'source'],
      [{ source: 'a', payload: {} }, 'type'],
      [{ source: 'a', type: 't' }, 'payload'],
      [{ source: 'a', type: 't', payload: {}, id: 7 }, 'id'],
    ] as const) {
      const res = await call(relay, writer, 'POST', '/v1/events', body);
      assert.deepEqual([res.status, res.body.error.code, res.body.error.param], [400, 'invalid_request', param]);
    }
    const onlyA = (await createKey(relay, { name: 'a only', scopes: ['events:write'], sources: ['a'] })).key;
    const other = await call(relay, onlyA, 'POST', '/v1/events', { source: 'b', type: 't', payload: {} });
    assert.deepEqual([other.status, other.body.error.code], [403, 'forbidden']);
    const reader = (await createKey(relay, { name: 'reader', scopes: ['events:read'] })).key;
    const refused = await call(relay, reader, 'POST', '/v1/events', { source: 'a', type: 't', payload: {} });
    assert.deepEqual(
      [refused.status, refused.body.error.code, refused.body.error.scope],
      [403, 'insufficient_scope', 'events:write'],
    );
    assert.equal((await storedEvents(relay)).length, count);
    assert.equal((await call(relay, onlyA, 'POST', '/v1/events', { source: 'a', type: 't', payload: {} })).status, 201);
  });
});
