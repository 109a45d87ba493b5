import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN_TOKEN, type TestRelay } from '../helpers/relay.ts';
import { waitFor } from '../helpers/wait.ts';
import { sendWebhook, startLiveRelay } from '../live/live-helpers.ts';
import { call, createKey } from './helpers.ts';
import { socketClient, sseClient } from './live-clients.ts';

describe('revoking or narrowing a key acts on open streams at once', () => {
  let relay: TestRelay;
  before(async () => {
    // The default keepalive (no periodic re-check within the test): only the revocation itself can close.
    relay = await startLiveRelay();
  });
  after(() => relay.stop());

  async function credential(kind: 'key' | 'token') {
    if (kind === 'key') {
      const k = await createKey(relay, { name: 'live', scopes: ['events:read'] });
      return { secret: k.key, revoke: `/v1/keys/${k.id}` };
    }
    const t = await call(relay, ADMIN_TOKEN, 'POST', '/v1/tokens', { name: 'live' });
    return { secret: t.body.token as string, revoke: `/v1/tokens/${t.body.id}` };
  }

  for (const kind of ['key', 'token'] as const) {
    it(`closes the SSE stream and the Socket.IO connection of a revoked ${kind} before DELETE answers`, async () => {
      const { secret, revoke } = await credential(kind);
      const sse = await sseClient(relay.url, secret);
      const socket = await socketClient(relay.url, secret);
      const admin = await sseClient(relay.url, ADMIN_TOKEN);
      const before = await sendWebhook(relay, 'a', { type: 'before' });
      await waitFor('both clients live', () => sse.ids.includes(before) && socket.ids.includes(before));
      const revoked = await call(relay, ADMIN_TOKEN, 'DELETE', revoke);
      assert.equal(revoked.status, 200);
      const afterwards = await sendWebhook(relay, 'a', { type: 'after' });
      await sse.closed();
      assert.equal(await socket.disconnected(), 'io server disconnect');
      await waitFor('the admin stream has the later event', () => admin.ids.includes(afterwards));
      assert.deepEqual(sse.ids, [before]);
      assert.deepEqual(socket.ids, [before]);
      assert.equal((await call(relay, secret, 'GET', '/v1/events')).status, 401);
    });
  }

  it('narrows an open SSE stream to the new sources at once, and reconnects Socket.IO to them', async () => {
    const k = await createKey(relay, { name: 'wide', scopes: ['events:read'] });
    const sse = await sseClient(relay.url, k.key);
    const socket = await socketClient(relay.url, k.key);
    const first = await sendWebhook(relay, 'b', { type: 'wide' });
    await waitFor('both clients live', () => sse.ids.includes(first) && socket.ids.includes(first));
    const patched = await call(relay, ADMIN_TOKEN, 'PATCH', `/v1/keys/${k.id}`, { sources: ['a'] });
    assert.equal(patched.status, 200);
    const hidden = await sendWebhook(relay, 'b', { type: 'now hidden' });
    const shown = await sendWebhook(relay, 'a', { type: 'still shown' });
    await waitFor('the a event on the narrowed stream', () => sse.ids.includes(shown));
    assert.ok(!sse.ids.includes(hidden));
    assert.equal(await socket.disconnected(), 'io server disconnect');
    assert.ok(!socket.ids.includes(hidden));
    const again = await socketClient(relay.url, k.key);
    const later = await sendWebhook(relay, 'b', { type: 'b again' });
    const visible = await sendWebhook(relay, 'a', { type: 'a again' });
    await waitFor('the reconnected socket gets a', () => again.ids.includes(visible));
    assert.ok(!again.ids.includes(later));
    again.close();
  });

  it('closes the streams of a key whose events:read scope is taken away', async () => {
    const k = await createKey(relay, { name: 'reader', scopes: ['events:read', 'ai'] });
    const sse = await sseClient(relay.url, k.key);
    const socket = await socketClient(relay.url, k.key);
    await call(relay, ADMIN_TOKEN, 'PATCH', `/v1/keys/${k.id}`, { scopes: ['ai'] });
    await sse.closed();
    assert.equal(await socket.disconnected(), 'io server disconnect');
  });
});
