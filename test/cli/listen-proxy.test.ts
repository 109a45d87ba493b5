import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { signHeaders } from '../../server/ingest/signers.ts';
import { ADMIN_TOKEN, startRelay, type TestRelay } from '../helpers/relay.ts';
import { waitFor } from '../helpers/wait.ts';
import { spawnListen, startLocalApp } from './listen-helpers.ts';

const SECRET = `whsec_${Buffer.from('behind a proxy').toString('base64')}`;
const IDLE_MS = 2500;

/**
 * A reverse proxy in front of the relay that, like nginx's proxy_read_timeout, cuts a response that
 * sends nothing for IDLE_MS; it counts the event streams opened through it and the bytes they carried.
 */
async function startIdleCuttingProxy(target: string) {
  const stats = { streams: 0, keepalives: 0 };
  const server = createServer((req, res) => {
    const upstream = request(new URL(req.url ?? '/', target), { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      if (req.url?.startsWith('/v1/events/stream')) stats.streams++;
      answer.on('data', (chunk: Buffer) => {
        if (chunk.toString().startsWith(':')) stats.keepalives++;
      });
      answer.pipe(res);
    });
    upstream.setTimeout(IDLE_MS, () => {
      upstream.destroy();
      res.destroy();
    });
    req.pipe(upstream);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stats,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('hookrelay listen through a proxy that cuts idle responses', () => {
  let relay: TestRelay;
  before(async () => {
    relay = await startRelay({
      driver: 'memory',
      sources: [{ name: 'shop', verify: { scheme: 'standard-webhooks', secrets: [SECRET] } }],
      sections: { stream: { keepaliveSeconds: 0.5 } },
    });
  });
  after(() => relay?.stop());

  it("stays on one connection across quiet periods longer than the proxy's idle limit, kept open by keepalives", async (t) => {
    const proxy = await startIdleCuttingProxy(relay.url);
    const app = await startLocalApp();
    const listen = spawnListen([
      '--url',
      proxy.url,
      '--token',
      ADMIN_TOKEN,
      '--forward-to',
      app.url,
      '--state',
      `${relay.dataDir}/listen.json`,
    ]);
    t.after(async () => {
      await listen.stop();
      await app.close();
      await proxy.close();
    });
    await waitFor('listen to connect', listen.connected, 60_000);
    // More keepalives than fit in two idle limits: the stream stayed quiet of events that long.
    await waitFor('keepalives through the proxy', () => proxy.stats.keepalives >= Math.ceil((2 * IDLE_MS) / 500) + 2, 60_000);
    assert.equal(proxy.stats.streams, 1, 'no reconnect was needed');
    const body = '{"type":"order.created"}';
    const res = await fetch(`${relay.url}/hooks/shop`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...signHeaders({ verify: { scheme: 'standard-webhooks' }, secret: SECRET, body }),
      },
      body,
    });
    const { id } = (await res.json()) as { id: string };
    await waitFor('the event through the proxy', () => app.delivered(id) === 1, 60_000);
    assert.equal(proxy.stats.streams, 1);
  });
});
