import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startRelay, type TestRelay } from '../helpers/relay.ts';

const SOURCES = [
  { name: 'a', insecure: true, verify: { scheme: 'none' as const } },
  { name: 'b', insecure: true, verify: { scheme: 'none' as const } },
];

describe('subscriber tokens and the events API', () => {
  let dataDir: string;
  let relay: TestRelay;
  const ids: Record<string, string[]> = { a: [], b: [] };
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'hookrelay-tokens-'));
    relay = await startRelay({ dataDir, sources: SOURCES });
    for (let i = 0; i < 5; i++) {
      for (const source of ['a', 'b']) {
        const body = JSON.stringify({ type: `${source === 'a' ? 'order' : 'user'}.${i % 2 ? 'created' : 'paid'}`, i });
        const res = await fetch(`${relay.url}/hooks/${source}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        });
        ids[source].push(((await res.json()) as { id: string }).id);
      }
    }
  });
  after(async () => {
    await relay.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  const api = async (path: string, init: { token?: string; method?: string; body?: unknown } = {}) => {
    const res = await fetch(`${relay.url}${path}`, {
      method: init.method ?? 'GET',
      headers: {
        authorization: init.token ? `Bearer ${init.token}` : relay.auth.authorization,
        'content-type': 'application/json',
      },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    return {
      status: res.status,
      body: (await res.json()) as Record<string, unknown> & { data?: Array<Record<string, unknown>> },
    };
  };

  it('pages through events with after, limit, has_more and last_id, and filters by source and type glob', async () => {
    const first = await api('/v1/events?source=a&limit=2');
    assert.deepEqual(
      first.body.data?.map((e) => e.id),
      ids.a.slice(0, 2),
    );
    assert.deepEqual([first.body.has_more, first.body.last_id], [true, ids.a[1]]);
    const rest = await api(`/v1/events?source=a&limit=10&after=${ids.a[1]}`);
    assert.deepEqual(
      rest.body.data?.map((e) => e.id),
      ids.a.slice(2),
    );
    assert.equal(rest.body.has_more, false);
    const created = await api('/v1/events?type=order.c*');
    assert.deepEqual(
      created.body.data?.map((e) => e.id),
      [ids.a[1], ids.a[3]],
    );
  });

  it('refuses a limit outside 1..1000 with 400 invalid_request', async () => {
    for (const limit of ['0', '1001', 'ten']) {
      const { status, body } = await api(`/v1/events?limit=${limit}`);
      assert.equal(status, 400);
      assert.equal((body.error as { code: string }).code, 'invalid_request');
    }
  });

  it('creates a token limited to a source that reads only that source, and lists tokens without secrets', async () => {
    const created = await api('/v1/tokens', { method: 'POST', body: { name: 'dashboard', sources: ['a'] } });
    assert.equal(created.status, 201);
    const token = created.body.token as string;
    assert.match(token, /^hrt_/);
    const all = await api('/v1/events?limit=100', { token });
    assert.deepEqual(
      all.body.data?.map((e) => e.id),
      ids.a,
    );
    assert.equal((await api('/v1/events?source=b', { token })).status, 403);
    assert.equal((await api(`/v1/events/${ids.b[0]}`, { token })).status, 404);
    assert.equal((await api(`/v1/events/${ids.a[0]}`, { token })).status, 200);
    const listed = await api('/v1/tokens');
    const row = listed.body.data?.find((t) => t.id === created.body.id);
    assert.deepEqual(row && { name: row.name, sources: row.sources }, { name: 'dashboard', sources: ['a'] });
    assert.ok(!JSON.stringify(listed.body).includes(token) && !('hash' in (row ?? {})));
  });

  it('keeps only a hash of each token, keeps tokens across a restart, and revokes them at once', async () => {
    const { body } = await api('/v1/tokens', { method: 'POST', body: { name: 'restart' } });
    const token = body.token as string;
    const stateFiles = await readdir(join(dataDir, 'state'));
    const state = (await Promise.all(stateFiles.map((f) => readFile(join(dataDir, 'state', f), 'utf8')))).join('');
    assert.ok(state.includes(String(body.id)) && !state.includes(token), 'the id is stored, the token is not');
    await relay.stop();
    relay = await startRelay({ dataDir, sources: SOURCES });
    assert.equal((await api('/v1/events?limit=1', { token })).status, 200);
    assert.deepEqual((await api(`/v1/tokens/${body.id}`, { method: 'DELETE' })).body, {
      id: body.id,
      object: 'token',
      deleted: true,
    });
    assert.equal((await api('/v1/events?limit=1', { token })).status, 401);
    assert.equal((await api(`/v1/tokens/${body.id}`, { method: 'DELETE' })).status, 404);
  });

  it('refuses a token without a name or with sources that are not a list of names', async () => {
    for (const input of [{}, { name: '' }, { name: 'x', sources: 'a' }, { name: 'x', sources: [1] }]) {
      const { status, body } = await api('/v1/tokens', { method: 'POST', body: input });
      assert.equal(status, 400, JSON.stringify(input));
      assert.equal((body.error as { code: string }).code, 'invalid_request');
    }
  });
});
