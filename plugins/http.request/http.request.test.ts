import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createTestContext } from '../testing.ts';
import plugin from './index.ts';

describe('http.request step', () => {
  const seen: Array<{ method?: string; headers: Record<string, unknown>; body: string }> = [];
  const server = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    seen.push({ method: req.method, headers: req.headers, body });
    if (req.url === '/teapot') {
      res.writeHead(418).end('short and stout');
      return;
    }
    res
      .writeHead(200, { 'content-type': 'application/json', 'x-answer': '42' })
      .end(JSON.stringify({ got: body ? JSON.parse(body) : null }));
  });
  let base = '';
  before(async () => {
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => server.close());

  it('sends json with a content type and outputs status, headers and the parsed body', async () => {
    const out = (await plugin.run(createTestContext(), {
      method: 'POST',
      url: `${base}/x`,
      json: { a: 1 },
      headers: { 'x-token': 't' },
    })) as {
      status: number;
      headers: Record<string, string>;
      body: unknown;
    };
    assert.equal(out.status, 200);
    assert.equal(out.headers['x-answer'], '42');
    assert.deepEqual(out.body, { got: { a: 1 } });
    assert.equal(seen.at(-1)?.headers['content-type'], 'application/json');
    assert.equal(seen.at(-1)?.headers['x-token'], 't');
  });

  it('fails on a status outside `expect` (default 2xx) and accepts one listed', async () => {
    await assert.rejects(
      plugin.run(createTestContext(), { url: `${base}/teapot` }),
      /GET .*\/teapot answered 418: short and stout/,
    );
    const out = (await plugin.run(createTestContext(), { url: `${base}/teapot`, expect: [418] })) as { body: unknown };
    assert.equal(out.body, 'short and stout');
  });

  it('sends through the client it is given (the relay passes one with its destination policy)', async () => {
    const refused: typeof fetch = async (input) => {
      throw new Error(`refused ${String(input)}`);
    };
    await assert.rejects(plugin.run(createTestContext({ fetch: refused }), { url: 'http://169.254.169.254/' }), /refused/);
    const http = { send: async (req: { url: string }) => Promise.reject(new Error(`policy refused ${req.url}`)) };
    await assert.rejects(
      plugin.run(createTestContext({ http }), { url: 'http://10.0.0.1/' }),
      /policy refused http:\/\/10\.0\.0\.1\//,
    );
  });
});
