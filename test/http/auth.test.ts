import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startRelay, type TestRelay } from '../helpers/relay.ts';
import { concretePath, routeTable } from '../helpers/routes.ts';

describe('admin token on /v1', () => {
  let relay: TestRelay;
  before(async () => {
    relay = await startRelay({
      driver: 'memory',
      sources: [{ name: 'sw', verify: { scheme: 'standard-webhooks', secrets: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'] } }],
    });
  });
  after(() => relay.stop());

  it('finds the core routes in the route table (so the walk below is not vacuous)', () => {
    const routes = routeTable(relay.relay.app).map((r) => `${r.method} ${r.path}`);
    for (const expected of [
      'GET /v1/events',
      'GET /v1/events/:id',
      'GET /v1/rejections',
      'POST /v1/tokens',
      'POST /hooks/:source',
    ]) {
      assert.ok(routes.includes(expected), `${expected} in ${routes.join(', ')}`);
    }
  });

  it('answers every /v1 route of every subsystem with 401 unauthorized without a token and with a wrong one', async () => {
    const routes = routeTable(relay.relay.app).filter((r) => r.path.startsWith('/v1/'));
    assert.ok(routes.length >= 6);
    const attempts: Array<Record<string, string>> = [
      {},
      { authorization: 'Bearer wrong-token' },
      { authorization: `Bearer ${relay.auth.authorization.slice(7)}x` },
      { authorization: relay.auth.authorization.slice(7) },
    ];
    for (const { method, path } of routes) {
      for (const headers of attempts) {
        const res = await fetch(`${relay.url}${concretePath(path)}`, {
          method,
          headers: { ...headers, 'content-type': 'application/json' },
          body: method === 'GET' || method === 'HEAD' ? undefined : '{}',
        });
        const label = `${method} ${path} with ${JSON.stringify(headers)}`;
        assert.equal(res.status, 401, label);
        assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer/, label);
        if (method !== 'HEAD')
          assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'unauthorized', label);
      }
    }
  });

  it('refuses a subscriber token (an events:read key) with 403 on every /v1 route except the read routes', async () => {
    // Routes a read-only subscriber token may use (contract: events, raw bodies, live stream, itself).
    const readRoutes = new Set([
      'GET /v1/events',
      'GET /v1/events/:id',
      'GET /v1/events/:id/raw',
      'GET /v1/events/stream',
      'GET /v1/keys/self',
    ]);
    const created = await fetch(`${relay.url}/v1/tokens`, {
      method: 'POST',
      headers: { ...relay.auth, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'reader' }),
    });
    const { token } = (await created.json()) as { token: string };
    const routes = routeTable(relay.relay.app).filter((r) => r.path.startsWith('/v1/'));
    for (const { method, path } of routes) {
      const res = await fetch(`${relay.url}${concretePath(path)}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: method === 'GET' || method === 'HEAD' ? undefined : '{}',
      });
      const label = `${method} ${path}`;
      if (readRoutes.has(label)) assert.ok(res.status !== 401 && res.status !== 403, `${label}: ${res.status}`);
      else {
        assert.equal(res.status, 403, label);
        assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'insufficient_scope', label);
      }
      if (!res.bodyUsed) await res.body?.cancel();
    }
  });

  it('lets the admin token through, whatever the case of the scheme name', async () => {
    const res = await fetch(`${relay.url}/v1/events`, { headers: relay.auth });
    assert.equal(res.status, 200);
    const lower = await fetch(`${relay.url}/v1/rejections`, {
      headers: { authorization: `bearer ${relay.auth.authorization.slice(7)}` },
    });
    assert.equal(lower.status, 200);
  });
});
