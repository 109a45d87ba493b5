import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { HttpClient } from '../../plugins/sdk.ts';
import { fetchHttpClient } from '../../plugins/sdk.ts';
import { undiciHttpClient } from '../../server/workflows/http-client.ts';

// One contract for both implementations of the step context's HTTP client.

type Seen = { method?: string; url?: string; headers: IncomingMessage['headers']; body: string };

const routes: Record<string, (res: ServerResponse) => void> = {
  '/echo': (res) => {
    res.setHeader('x-twice', ['a', 'b']);
    res.writeHead(201, { 'Content-Type': 'application/json' }).end('{"ok":true}');
  },
  '/redirect': (res) => res.writeHead(302, { location: '/elsewhere' }).end(),
  '/error': (res) => res.writeHead(503).end('try later'),
  '/large': (res) => res.writeHead(200).end('0123456789'.repeat(10_000)),
  '/silent': () => {}, // never answers
};

const clients: Array<[string, () => HttpClient & { close?(): Promise<void> }]> = [
  ['undici', undiciHttpClient],
  ['fetch', () => fetchHttpClient(globalThis.fetch)],
];

for (const [name, make] of clients) {
  describe(`HTTP client over ${name}`, () => {
    const seen: Seen[] = [];
    const server = createServer(async (req, res) => {
      let body = '';
      for await (const chunk of req) body += chunk;
      seen.push({ method: req.method, url: req.url, headers: req.headers, body });
      routes[req.url ?? '']?.(res);
    });
    const client = make();
    let base = '';
    before(async () => {
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(async () => {
      await client.close?.();
      server.closeAllConnections();
      server.close();
    });

    it('sends the method, headers and body and returns status, lower-case headers and the body', async () => {
      const res = await client.send({
        method: 'POST',
        url: `${base}/echo`,
        headers: { 'Content-Type': 'text/plain', 'x-token': 't' },
        body: 'héllo',
      });
      assert.equal(res.status, 201);
      assert.equal(res.headers['content-type'], 'application/json');
      assert.equal(res.headers['x-twice'], 'a, b');
      assert.equal(res.body, '{"ok":true}');
      assert.equal(res.truncated, false);
      const request = seen.at(-1);
      assert.equal(request?.method, 'POST');
      assert.equal(request?.headers['content-type'], 'text/plain');
      assert.equal(request?.headers['x-token'], 't');
      assert.equal(request?.headers['content-length'], String(Buffer.byteLength('héllo')));
      assert.equal(request?.body, 'héllo');
    });

    it('returns a redirect without following it, and an error status without throwing', async () => {
      const redirect = await client.send({ method: 'GET', url: `${base}/redirect` });
      assert.equal(redirect.status, 302);
      assert.equal(redirect.headers.location, '/elsewhere');
      assert.equal(seen.at(-1)?.url, '/redirect');
      const error = await client.send({ method: 'GET', url: `${base}/error` });
      assert.deepEqual([error.status, error.body], [503, 'try later']);
    });

    it('keeps only maxBodyBytes of a longer body and stays usable afterwards', async () => {
      const res = await client.send({ method: 'GET', url: `${base}/large`, maxBodyBytes: 25 });
      assert.equal(res.body, '0123456789012345678901234');
      assert.equal(res.truncated, true);
      const next = await client.send({ method: 'GET', url: `${base}/error` });
      assert.equal(next.status, 503);
    });

    it('rejects with the signal reason when aborted while waiting for an answer', async () => {
      const controller = new AbortController();
      const pending = client.send({ method: 'GET', url: `${base}/silent`, signal: controller.signal });
      const count = seen.length;
      while (seen.length === count) await new Promise((r) => setImmediate(r)); // the server has the request
      controller.abort(new Error('step timed out'));
      await assert.rejects(pending, /step timed out/);
    });

    it('refuses a URL that is not http: or https:', async () => {
      await assert.rejects(client.send({ method: 'GET', url: 'file:///etc/passwd' }));
    });

    it('rejects when nothing listens at the address', async () => {
      const closed = createServer();
      closed.listen(0, '127.0.0.1');
      await once(closed, 'listening');
      const port = (closed.address() as AddressInfo).port;
      closed.close();
      await once(closed, 'close');
      await assert.rejects(client.send({ method: 'GET', url: `http://127.0.0.1:${port}/` }));
    });
  });
}
