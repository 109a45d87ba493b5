import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SCOPES, type Scope } from '../../server/keys/scopes.ts';
import { startRelay, type TestRelay } from '../helpers/relay.ts';
import { concretePath, routeTable } from '../helpers/routes.ts';

/**
 * The scope each /v1 route requires (README "Scopes"); `any` = any valid key or token. A route
 * missing here fails the first test below: protect it with auth.require('<scope>') in its routes.ts and add it.
 */
const ROUTE_SCOPES: Record<string, Scope | 'any'> = {
  'GET /v1/keys/self': 'any',
  'POST /v1/keys': 'admin',
  'GET /v1/keys': 'admin',
  'GET /v1/keys/:id': 'admin',
  'PATCH /v1/keys/:id': 'admin',
  'DELETE /v1/keys/:id': 'admin',
  'POST /v1/tokens': 'admin',
  'GET /v1/tokens': 'admin',
  'DELETE /v1/tokens/:id': 'admin',
  'GET /v1/events/stream': 'events:read',
  'GET /v1/events': 'events:read',
  'GET /v1/events/:id': 'events:read',
  'GET /v1/events/:id/raw': 'events:read',
  'GET /v1/events/:id/activity': 'admin',
  'POST /v1/events': 'events:write',
  'GET /v1/rejections': 'sources',
  'GET /v1/sources': 'sources',
  'POST /v1/sources': 'sources',
  'GET /v1/sources/:name': 'sources',
  'PATCH /v1/sources/:name': 'sources',
  'DELETE /v1/sources/:name': 'sources',
  'POST /v1/sources/:name/rotate-secret': 'sources',
  'POST /v1/endpoints': 'endpoints',
  'GET /v1/endpoints': 'endpoints',
  'GET /v1/endpoints/:id': 'endpoints',
  'PATCH /v1/endpoints/:id': 'endpoints',
  'DELETE /v1/endpoints/:id': 'endpoints',
  'GET /v1/endpoints/:id/secret': 'endpoints',
  'POST /v1/endpoints/:id/rotate-secret': 'endpoints',
  'POST /v1/endpoints/:id/pause': 'endpoints',
  'POST /v1/endpoints/:id/resume': 'endpoints',
  'POST /v1/endpoints/:id/flush': 'endpoints',
  'GET /v1/endpoints/:id/deliveries': 'endpoints',
  'POST /v1/endpoints/:id/recover': 'endpoints',
  'POST /v1/endpoints/:id/replay': 'endpoints',
  'GET /v1/deliveries/:id': 'endpoints',
  'POST /v1/deliveries/:id/retry': 'endpoints',
  'GET /v1/workflows': 'workflows',
  'POST /v1/workflows/reload': 'workflows',
  'GET /v1/workflows/:name': 'workflows',
  'GET /v1/workflows/:name/runs': 'workflows',
  'POST /v1/workflows/:name/runs': 'workflows',
  'POST /v1/workflows/:name/dry-run': 'workflows',
  'GET /v1/runs': 'workflows',
  'GET /v1/runs/:id': 'workflows',
  'POST /v1/runs/:id/cancel': 'workflows',
  'POST /v1/runs/:id/rerun': 'workflows',
  'POST /v1/responses': 'ai',
  'GET /v1/responses': 'ai',
  'GET /v1/responses/:id': 'ai',
  'POST /v1/responses/:id/cancel': 'ai',
  'DELETE /v1/responses/:id': 'ai',
  'GET /v1/responses/:id/input_items': 'ai',
  'GET /v1/models': 'ai',
  'GET /v1/models/:id': 'ai',
  'POST /v1/chat/completions': 'ai',
  'GET /v1/ai/upstreams': 'ai',
  'POST /v1/files': 'ai',
  'GET /v1/files': 'ai',
  'GET /v1/files/:id': 'ai',
  'GET /v1/files/:id/content': 'ai',
  'DELETE /v1/files/:id': 'ai',
  'POST /v1/batches': 'ai',
  'GET /v1/batches': 'ai',
  'GET /v1/batches/:id': 'ai',
  'POST /v1/batches/:id/cancel': 'ai',
  'GET /v1/usage': 'usage:read',
};

describe('scopes on every /v1 route', () => {
  let relay: TestRelay;
  const keys = new Map<Scope, string>();
  let routes: string[];
  before(async () => {
    relay = await startRelay({ driver: 'memory', sources: [{ name: 'open', insecure: true, verify: { scheme: 'none' } }] });
    routes = routeTable(relay.relay.app)
      .filter((r) => r.path.startsWith('/v1/'))
      .map((r) => `${r.method} ${r.path}`);
    for (const scope of SCOPES) {
      const res = await fetch(`${relay.url}/v1/keys`, {
        method: 'POST',
        headers: { ...relay.auth, 'content-type': 'application/json' },
        body: JSON.stringify({ name: `only ${scope}`, scopes: [scope] }),
      });
      assert.equal(res.status, 201);
      keys.set(scope, ((await res.json()) as { key: string }).key);
    }
  });
  after(() => relay.stop());

  it('maps every /v1 route to a scope (an unmapped route is listed here: give it auth.require(scope))', () => {
    const unmapped = routes.filter((route) => !(route in ROUTE_SCOPES));
    assert.deepEqual(unmapped, [], `routes without a scope in test/http/scopes.test.ts: ${unmapped.join(', ')}`);
    const stale = Object.keys(ROUTE_SCOPES).filter((route) => !routes.includes(route));
    assert.deepEqual(stale, [], 'scope table entries for routes that no longer exist');
  });

  async function call(route: string, token: string) {
    const [method, path] = route.split(' ');
    const res = await fetch(`${relay.url}${concretePath(path)}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: method === 'GET' || method === 'HEAD' ? undefined : '{}',
    });
    const body = res.status === 403 ? ((await res.json()) as { error: { code: string; message: string; scope: string } }) : null;
    if (!res.bodyUsed) await res.body?.cancel();
    return { status: res.status, body };
  }

  for (const scope of SCOPES) {
    it(`lets a key with only "${scope}" through its routes and refuses it everywhere else with insufficient_scope`, async () => {
      const token = keys.get(scope) as string;
      let allowed = 0;
      for (const route of routes) {
        const needs = ROUTE_SCOPES[route];
        const { status, body } = await call(route, token);
        if (scope === 'admin' || needs === scope || needs === 'any') {
          assert.ok(status !== 401 && status !== 403, `${route} with ${scope}: ${status}`);
          allowed++;
        } else {
          assert.equal(status, 403, `${route} with ${scope}`);
          assert.equal(body?.error.code, 'insufficient_scope', route);
          assert.equal(body?.error.scope, needs, route);
          assert.ok(body?.error.message.includes(`"${needs}"`), body?.error.message);
        }
      }
      assert.ok(allowed >= 1, `${scope} opens at least /v1/keys/self`);
    });
  }

  it('lets the admin token through every route', async () => {
    for (const route of routes) {
      const { status } = await call(route, relay.auth.authorization.slice(7));
      assert.ok(status !== 401 && status !== 403, `${route}: ${status}`);
    }
  });
});
