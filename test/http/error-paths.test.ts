import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startRelay, type TestRelay } from '../helpers/relay.ts';
import { concretePath, type RouteEntry, routeTable } from '../helpers/routes.ts';

const JSON_LIMIT = 4096;
const BODY_METHODS = new Set(['POST', 'PATCH', 'PUT']);

interface ErrorBody {
  error?: { code?: unknown; message?: unknown };
}

/** Asserts the coded error shape every failure must have, and returns the code. */
async function errorCode(res: Response, label: string): Promise<string> {
  assert.match(res.headers.get('content-type') ?? '', /application\/json/, `${label}: content-type`);
  const body = (await res.json()) as ErrorBody;
  assert.equal(typeof body.error?.code, 'string', `${label}: error.code in ${JSON.stringify(body)}`);
  assert.equal(typeof body.error?.message, 'string', `${label}: error.message in ${JSON.stringify(body)}`);
  assert.ok(String(body.error?.message).length > 0, `${label}: a non-empty message`);
  return body.error?.code as string;
}

describe('every error path answers with a coded JSON body', () => {
  let relay: TestRelay;
  let routes: RouteEntry[];
  before(async () => {
    relay = await startRelay({ driver: 'memory', limits: { jsonBodyBytes: JSON_LIMIT } });
    routes = routeTable(relay.relay.app).filter((r) => r.path.startsWith('/v1/'));
  });
  after(() => relay.stop());

  const send = (method: string, path: string, body?: string, contentType = 'application/json') =>
    fetch(`${relay.url}${path}`, {
      method,
      headers: { ...relay.auth, 'content-type': contentType },
      body,
    });

  it('finds the body-taking routes of every subsystem (so the walks below are not vacuous)', () => {
    const labels = routes.map((r) => `${r.method} ${r.path}`);
    for (const expected of [
      'POST /v1/tokens',
      'POST /v1/endpoints',
      'POST /v1/workflows/:name/runs',
      'POST /v1/responses',
      'POST /v1/batches',
    ])
      assert.ok(labels.includes(expected), `${expected} in ${labels.join(', ')}`);
  });

  it('answers unknown /v1 paths and unknown top-level paths with 404 not_found', async () => {
    for (const [method, path] of [
      ['GET', '/v1/nope'],
      ['POST', '/v1/nope/deeper'],
      ['DELETE', '/v1/events'],
      ['GET', '/nope'],
    ]) {
      const res = await send(method, path, method === 'GET' ? undefined : '{}');
      assert.equal(res.status, 404, `${method} ${path}`);
      assert.equal(await errorCode(res, `${method} ${path}`), 'not_found');
    }
  });

  it('answers a method a route does not take with a coded 404 or 405', async () => {
    const taken = new Set(routes.map((r) => `${r.method} ${r.path}`));
    for (const { path } of routes) {
      for (const method of ['PUT', 'PATCH', 'DELETE']) {
        if (taken.has(`${method} ${path}`)) continue;
        const label = `${method} ${path}`;
        const res = await send(method, concretePath(path), '{}');
        assert.ok(res.status === 404 || res.status === 405, `${label}: ${res.status}`);
        await errorCode(res, label);
      }
    }
  });

  it('answers malformed JSON on every body-taking route with 400 invalid_json', async () => {
    for (const { method, path } of routes.filter((r) => BODY_METHODS.has(r.method))) {
      const label = `${method} ${path}`;
      const res = await send(method, concretePath(path), '{"broken": ');
      if (path === '/v1/files') {
        // A multipart upload route: a JSON body is the wrong kind of body, still a coded 4xx.
        assert.ok(res.status >= 400 && res.status < 500, `${label}: ${res.status}`);
        await errorCode(res, label);
        continue;
      }
      assert.equal(res.status, 400, label);
      assert.equal(await errorCode(res, label), 'invalid_json', label);
    }
  });

  it('answers an oversized JSON body on every body-taking route with 413 payload_too_large', async () => {
    const big = JSON.stringify({ filler: 'x'.repeat(JSON_LIMIT * 2) });
    for (const { method, path } of routes.filter((r) => BODY_METHODS.has(r.method) && r.path !== '/v1/files')) {
      const label = `${method} ${path}`;
      const res = await send(method, concretePath(path), big);
      assert.equal(res.status, 413, label);
      assert.equal(await errorCode(res, label), 'payload_too_large', label);
    }
  });

  it('stays up and keeps answering after all of the above', async () => {
    const res = await fetch(`${relay.url}/healthz`);
    assert.equal(res.status, 200);
  });
});
