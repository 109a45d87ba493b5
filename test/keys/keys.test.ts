import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { io } from 'socket.io-client';
import { ADMIN_TOKEN, startRelay, type TestRelay } from '../helpers/relay.ts';
import { call, createKey } from './helpers.ts';

describe('API keys', () => {
  let relay: TestRelay;
  before(async () => {
    relay = await startRelay({ driver: 'lowdb' });
  });
  after(() => relay.stop());

  it('shows a new key once, keeps only its hash in an owner-only file, and never lists it', async () => {
    const created = await createKey(relay, {
      name: 'ci',
      scopes: ['events:read', 'ai'],
      sources: ['stripe'],
      limits: { ai_concurrent: 2 },
    });
    assert.match(created.key, /^hrk_[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(created.scopes, ['events:read', 'ai']);
    assert.deepEqual(created.sources, ['stripe']);
    assert.deepEqual(created.limits, { ai_concurrent: 2 });
    const file = join(relay.dataDir, 'state', 'keys.json');
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    const stored = await readFile(file, 'utf8');
    assert.ok(!stored.includes(created.key), 'the key itself is not stored');
    const list = await call(relay, ADMIN_TOKEN, 'GET', '/v1/keys');
    assert.equal(list.status, 200);
    const listed = list.body.data.find((k: { id: string }) => k.id === created.id);
    assert.equal(listed.name, 'ci');
    assert.equal(listed.key, undefined);
    assert.ok(!JSON.stringify(list.body).includes(created.key));
    const one = await call(relay, ADMIN_TOKEN, 'GET', `/v1/keys/${created.id}`);
    assert.equal(one.body.key, undefined);
    assert.equal(one.body.object, 'key');
  });

  it('refuses an unknown scope with a coded 400 and stores nothing', async () => {
    const before = (await call(relay, ADMIN_TOKEN, 'GET', '/v1/keys')).body.data.length;
    const res = await call(relay, ADMIN_TOKEN, 'POST', '/v1/keys', { name: 'x', scopes: ['events:read', 'root'] });
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'unknown_scope');
    assert.match(res.body.error.message, /"root"/);
    const bad = await call(relay, ADMIN_TOKEN, 'POST', '/v1/keys', {
      name: 'x',
      scopes: ['ai'],
      limits: { requests_per_minute: 0 },
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.param, 'limits.requests_per_minute');
    assert.equal((await call(relay, ADMIN_TOKEN, 'GET', '/v1/keys')).body.data.length, before);
  });

  it('answers with the scope a key lacks, and lets it read what it may do from /v1/keys/self', async () => {
    const reader = await createKey(relay, { name: 'reader', scopes: ['events:read'] });
    const refused = await call(relay, reader.key, 'GET', '/v1/endpoints');
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error.code, 'insufficient_scope');
    assert.match(refused.body.error.message, /"endpoints"/);
    const self = await call(relay, reader.key, 'GET', '/v1/keys/self');
    assert.equal(self.status, 200);
    assert.deepEqual(
      { id: self.body.id, kind: self.body.kind, scopes: self.body.scopes },
      { id: reader.id, kind: 'key', scopes: ['events:read'] },
    );
    const admin = await call(relay, ADMIN_TOKEN, 'GET', '/v1/keys/self');
    assert.deepEqual(
      { id: admin.body.id, kind: admin.body.kind, scopes: admin.body.scopes },
      { id: null, kind: 'admin_token', scopes: ['admin'] },
    );
  });

  it('refuses a Socket.IO handshake without events:read with insufficient_scope, and accepts one with it', async () => {
    const connect = (token: string) =>
      new Promise<string>((resolve) => {
        const socket = io(relay.url, { path: '/socket.io', auth: { token }, transports: ['websocket'], reconnection: false });
        socket.on('connect', () => {
          socket.disconnect();
          resolve('connected');
        });
        socket.on('connect_error', (err) => resolve((err as Error & { data?: { code: string } }).data?.code ?? err.message));
      });
    const ai = await createKey(relay, { name: 'ai only', scopes: ['ai'] });
    const reader = await createKey(relay, { name: 'socket reader', scopes: ['events:read'] });
    assert.equal(await connect(ai.key), 'insufficient_scope');
    assert.equal(await connect(reader.key), 'connected');
    assert.equal(await connect('hrk_not-a-key'), 'unauthorized');
  });

  it('lets only admin manage keys: a key without the admin scope cannot make itself one', async () => {
    const endpoints = await createKey(relay, { name: 'ops', scopes: ['endpoints', 'usage:read'] });
    for (const [method, path] of [
      ['POST', '/v1/keys'],
      ['GET', '/v1/keys'],
      ['GET', `/v1/keys/${endpoints.id}`],
      ['PATCH', `/v1/keys/${endpoints.id}`],
      ['DELETE', `/v1/keys/${endpoints.id}`],
    ]) {
      const res = await call(relay, endpoints.key, method, path, method === 'GET' ? undefined : { scopes: ['admin'] });
      assert.equal(res.status, 403, `${method} ${path}`);
      assert.equal(res.body.error.scope, 'admin');
    }
    const adminKey = await createKey(relay, { name: 'second admin', scopes: ['admin'] });
    assert.equal((await call(relay, adminKey.key, 'GET', '/v1/keys')).status, 200);
  });

  it('narrows a key at once with PATCH and revokes it at once with DELETE', async () => {
    const k = await createKey(relay, { name: 'temp', scopes: ['endpoints', 'workflows'] });
    assert.equal((await call(relay, k.key, 'GET', '/v1/workflows')).status, 200);
    const patched = await call(relay, ADMIN_TOKEN, 'PATCH', `/v1/keys/${k.id}`, { scopes: ['endpoints'], name: 'temp2' });
    assert.equal(patched.status, 200);
    assert.deepEqual([patched.body.name, patched.body.scopes], ['temp2', ['endpoints']]);
    assert.equal((await call(relay, k.key, 'GET', '/v1/workflows')).status, 403);
    assert.equal((await call(relay, k.key, 'GET', '/v1/endpoints')).status, 200);
    const deleted = await call(relay, ADMIN_TOKEN, 'DELETE', `/v1/keys/${k.id}`);
    assert.deepEqual(deleted.body, { id: k.id, object: 'key', deleted: true });
    assert.equal((await call(relay, k.key, 'GET', '/v1/endpoints')).status, 401);
    assert.equal((await call(relay, ADMIN_TOKEN, 'GET', `/v1/keys/${k.id}`)).status, 404);
  });

  it('keeps keys across a restart (the hash is what is kept)', async () => {
    const k = await createKey(relay, { name: 'durable', scopes: ['events:read'] });
    const dataDir = relay.dataDir;
    await relay.relay.stop();
    relay = await startRelay({ driver: 'lowdb', dataDir });
    assert.equal((await call(relay, k.key, 'GET', '/v1/events')).status, 200);
  });
});
