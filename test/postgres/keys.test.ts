import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { signHeaders } from '../../server/ingest/signers.ts';
import { type FakeOpenAI, startFakeOpenAI } from '../helpers/fake-openai.ts';
import { dropSchemas, newSchema, skipWithoutPostgres, testDatabaseUrl } from '../helpers/postgres.ts';
import { ADMIN_TOKEN, startRelay, type TestRelay } from '../helpers/relay.ts';
import { waitFor } from '../helpers/wait.ts';
import { call, createKey } from '../keys/helpers.ts';
import { socketClient, sseClient } from '../keys/live-clients.ts';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const verify = { scheme: 'standard-webhooks' as const, secrets: [SECRET] };

async function ingest(relay: TestRelay, payload: unknown): Promise<string> {
  const body = JSON.stringify(payload);
  const headers = { 'content-type': 'application/json', ...signHeaders({ verify, secret: SECRET, body }) };
  const res = await fetch(`${relay.url}/hooks/a`, { method: 'POST', headers, body });
  return ((await res.json()) as { id: string }).id;
}

describe('keys on two instances sharing PostgreSQL', { skip: skipWithoutPostgres }, () => {
  const schema = newSchema();
  let a: TestRelay;
  let b: TestRelay;
  before(async () => {
    const postgres = { url: testDatabaseUrl ?? '', schema };
    a = await startRelay({ driver: 'postgres', postgres, sources: [{ name: 'a', verify }] });
    b = await startRelay({ driver: 'postgres', postgres, sources: [{ name: 'a', verify }] });
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await dropSchemas([schema]);
  });

  const knownOn = (relay: TestRelay, key: string) =>
    waitFor('the key known on the other instance', async () => (await call(relay, key, 'GET', '/v1/keys/self')).status === 200);

  it('closes streams on the other instance when a key is revoked: nothing stored after DELETE reaches them', async () => {
    const k = await createKey(a, { name: 'live', scopes: ['events:read'] });
    await knownOn(b, k.key);
    const sse = await sseClient(b.url, k.key);
    const socket = await socketClient(b.url, k.key);
    const admin = await sseClient(b.url, ADMIN_TOKEN);
    const first = await ingest(a, { type: 'before' });
    await waitFor('both clients on B live', () => sse.ids.includes(first) && socket.ids.includes(first));
    assert.equal((await call(a, ADMIN_TOKEN, 'DELETE', `/v1/keys/${k.id}`)).status, 200);
    const later = await ingest(a, { type: 'after' });
    await sse.closed();
    assert.equal(await socket.disconnected(), 'io server disconnect');
    await waitFor('the admin stream on B has the later event', () => admin.ids.includes(later));
    assert.deepEqual(sse.ids, [first]);
    assert.deepEqual(socket.ids, [first]);
    assert.equal((await call(b, k.key, 'GET', '/v1/events')).status, 401);
  });

  it('does the same for a subscriber token revoked on the other instance', async () => {
    const t = await call(a, ADMIN_TOKEN, 'POST', '/v1/tokens', { name: 'live' });
    const token = t.body.token as string;
    await knownOn(b, token);
    const sse = await sseClient(b.url, token);
    const socket = await socketClient(b.url, token);
    assert.equal((await call(a, ADMIN_TOKEN, 'DELETE', `/v1/tokens/${t.body.id}`)).status, 200);
    const later = await ingest(a, { type: 'after token' });
    await sse.closed();
    assert.equal(await socket.disconnected(), 'io server disconnect');
    assert.ok(!sse.ids.includes(later) && !socket.ids.includes(later));
  });

  it('draws requests_per_minute from one bucket whichever instance answers', async () => {
    const k = await createKey(a, { name: 'limited', scopes: ['events:read'], limits: { requests_per_minute: 4 } });
    await knownOn(b, k.key);
    // knownOn spent one of the four (refused 401s spend none); the other three alternate instances.
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await call(i % 2 ? b : a, k.key, 'GET', '/v1/events')).status);
    assert.deepEqual(statuses, [200, 200, 200, 429, 429, 429]);
  });
});

describe('ai_concurrent across two instances sharing PostgreSQL', { skip: skipWithoutPostgres }, () => {
  const schema = newSchema();
  let fake: FakeOpenAI;
  let a: TestRelay;
  let b: TestRelay;
  before(async () => {
    fake = await startFakeOpenAI();
    const postgres = { url: testDatabaseUrl ?? '', schema };
    const sections = { ai: { backoffMs: 1, upstreams: [{ name: 'fake', baseURL: fake.baseURL, models: ['fake-*'] }] } };
    a = await startRelay({ driver: 'postgres', postgres, sections });
    b = await startRelay({ driver: 'postgres', postgres, sections });
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await fake?.close();
    await dropSchemas([schema]);
  });

  it("keeps a key's second background response queued on the other instance until the first one ends", async () => {
    const k = await createKey(a, { name: 'one at a time', scopes: ['ai'], limits: { ai_concurrent: 1 } });
    await waitFor('the key known on B', async () => (await call(b, k.key, 'GET', '/v1/keys/self')).status === 200);
    const sdk = (relay: TestRelay) => new OpenAI({ apiKey: k.key, baseURL: `${relay.url}/v1`, maxRetries: 0 });
    fake.script({ tokens: ['a', 'b'], pauseAfter: 1 });
    const first = await sdk(a).responses.create({ model: 'fake-1', input: 'first', background: true });
    await waitFor('the first one running upstream', () => fake.requests.some((r) => r.paused));
    const second = await sdk(b).responses.create({ model: 'fake-1', input: 'second', background: true });
    // A response of another caller on B runs through meanwhile: B's queue is moving, the key's is held.
    const admin = new OpenAI({ apiKey: ADMIN_TOKEN, baseURL: `${b.url}/v1`, maxRetries: 0 });
    assert.equal((await admin.responses.create({ model: 'fake-1', input: 'other caller' })).status, 'completed');
    assert.equal((await sdk(b).responses.retrieve(second.id)).status, 'queued');
    assert.equal(fake.requests.filter((r) => JSON.stringify(r.body).includes('second')).length, 0);
    fake.script({ tokens: ['c'] });
    fake.release();
    const done = await waitFor(
      'the second one completed',
      async () => {
        const r = await sdk(b).responses.retrieve(second.id);
        return r.status === 'completed' ? r : null;
      },
      15_000,
    );
    assert.equal(done.output_text, 'c');
    assert.equal((await sdk(a).responses.retrieve(first.id)).status, 'completed');
  });
});
