import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { type AttemptTransport, fetchTransport, requestTransport } from '../../server/delivery/transport.ts';
import { createDestinationPolicy, DestinationRefusedError, type Resolver } from '../../server/outbound/destination-policy.ts';
import { guardedDispatcher } from '../../server/outbound/guarded-dispatcher.ts';
import { startRelay, type TestRelay } from '../helpers/relay.ts';
import { waitFor } from '../helpers/wait.ts';
import { Receiver } from './receiver.ts';
import { createEndpoint, deliveries, ingest, TEST_SOURCES } from './setup.ts';

/** What the test server saw of each request. */
interface Seen {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A local server whose answer depends on the path: /ok, /redirect, /big, /hang. */
function answeringServer(seen: Seen[]): Server {
  return createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      seen.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      if (req.url === '/ok') {
        res.writeHead(202, { 'retry-after': '7', 'webhook-delivery': 'abort-message' }).end('taken');
      } else if (req.url === '/redirect') {
        res.writeHead(307, { location: '/ok' }).end('moved');
      } else if (req.url === '/big') {
        res.writeHead(500);
        res.write('a'.repeat(3000));
        res.end('b'.repeat(3000));
      }
      // /hang: never answered.
    });
  });
}

const transports: Array<[string, () => { transport: AttemptTransport; close(): Promise<void> }]> = [
  [
    "undici's request on the guarded dispatcher",
    () => {
      const dispatcher = guardedDispatcher(createDestinationPolicy({}));
      return { transport: requestTransport(dispatcher), close: () => dispatcher.destroy() };
    },
  ],
  ['an injected fetch', () => ({ transport: fetchTransport(fetch), close: async () => {} })],
];

for (const [name, make] of transports) {
  describe(`attempt transport: ${name}`, () => {
    const seen: Seen[] = [];
    const server = answeringServer(seen);
    let base = '';
    let client: ReturnType<typeof make>;
    before(async () => {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      client = make();
    });
    after(async () => {
      await client.close();
      server.closeAllConnections();
      server.close();
    });
    const post = (path: string, signal = new AbortController().signal, responseBytes = 4096) =>
      client.transport({
        url: `${base}${path}`,
        headers: { 'content-type': 'application/json', 'webhook-id': 'msg_1' },
        body: Buffer.from('{"n":1}'),
        signal,
        responseBytes,
      });

    it('posts the bytes and headers, and gives the status, headers and body back', async () => {
      const res = await post('/ok');
      assert.equal(res.status, 202);
      assert.equal(res.header('retry-after'), '7');
      assert.equal(res.header('webhook-delivery'), 'abort-message');
      assert.equal(res.header('x-absent'), null);
      assert.equal(res.body, 'taken');
      const got = seen.at(-1) as Seen;
      assert.equal(got.body, '{"n":1}');
      assert.equal(got.headers['content-type'], 'application/json');
      assert.equal(got.headers['webhook-id'], 'msg_1');
      assert.equal(got.headers['content-length'], '7');
    });

    it('returns a redirect as it is, without following it', async () => {
      const before = seen.length;
      const res = await post('/redirect');
      assert.equal(res.status, 307);
      assert.equal(res.header('location'), '/ok');
      assert.deepEqual(
        seen.slice(before).map((s) => s.path),
        ['/redirect'],
      );
    });

    it('keeps only the first responseBytes of the answer', async () => {
      const res = await post('/big', undefined, 100);
      assert.equal(res.status, 500);
      assert.equal(res.body, 'a'.repeat(100));
      const whole = await post('/big', undefined, 10_000);
      assert.equal(whole.body, `${'a'.repeat(3000)}${'b'.repeat(3000)}`);
    });

    it('rejects with the signal once it is aborted', async () => {
      const controller = new AbortController();
      const pending = post('/hang', controller.signal);
      await waitFor('the request to arrive', () => seen.some((s) => s.path === '/hang'));
      controller.abort(new Error('attempt timed out'));
      await assert.rejects(pending);
    });
  });
}

describe("undici's request transport under the destination policy", () => {
  it('refuses at connect the address a name resolves to by then, and sends nothing', async () => {
    const seen: Seen[] = [];
    const server = answeringServer(seen);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const resolver: Resolver = async () => ['169.254.169.254'];
    const dispatcher = guardedDispatcher(createDestinationPolicy({}, resolver));
    try {
      const transport = requestTransport(dispatcher);
      const send = (url: string) =>
        transport({ url, headers: {}, body: Buffer.from('x'), signal: new AbortController().signal, responseBytes: 10 });
      await assert.rejects(send(`http://rebind.test:${port}/ok`), DestinationRefusedError);
      await assert.rejects(send(`http://[::ffff:a9fe:a9fe]:${port}/ok`), DestinationRefusedError);
      assert.equal(seen.length, 0);
    } finally {
      await dispatcher.destroy();
      server.close();
    }
  });
});

describe('a delivery whose host resolves elsewhere by the time it connects', () => {
  let relay: TestRelay;
  let receiver: Receiver;
  let lookups = 0;
  before(async () => {
    receiver = await new Receiver().start();
    // The first answer (checked when the endpoint is made) is the receiver; every later one is the
    // metadata service: the attempt's connection must be refused, whatever was checked before.
    const resolver: Resolver = async () => (lookups++ === 0 ? ['127.0.0.1'] : ['169.254.169.254']);
    relay = await startRelay({ sources: TEST_SOURCES, resolver });
  });
  after(async () => {
    await relay.stop();
    await receiver.stop();
  });

  it('records a refused attempt and never reaches the receiver', async () => {
    const port = new URL(receiver.url).port;
    const endpoint = await createEndpoint(relay, { url: `http://rebind.test:${port}/hook` });
    await ingest(relay, { type: 'order.created' });
    const [delivery] = await waitFor('the refused attempt', async () => {
      const list = await deliveries(relay, endpoint.id);
      return list[0]?.attempt_count === 1 ? list : null;
    });
    assert.equal(delivery.status, 'pending');
    assert.equal(delivery.attempts[0].status_code, null);
    assert.match(delivery.attempts[0].error as string, /metadata/);
    assert.equal(receiver.received.length, 0);
    assert.ok(lookups >= 2, `the connection resolved the name again (${lookups} lookups)`);
  });
});
