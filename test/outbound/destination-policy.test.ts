import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createDestinationPolicy, DestinationRefusedError, type Resolver } from '../../server/outbound/destination-policy.ts';
import { guardedDispatcher, guardedFetch } from '../../server/outbound/guarded-dispatcher.ts';
import { createOutbound } from '../../server/outbound/outbound.ts';
import { startRelay, type TestRelay } from '../helpers/relay.ts';

// Issue 14 item 14: one policy for every request the relay makes, whatever the spelling of the address,
// enforced on the address each connection actually goes to. Names resolve through the injected table
// below; nothing here ever connects anywhere but 127.0.0.1.
const dns: Record<string, string[]> = {
  'local.test': ['127.0.0.1'],
  'imds.test': ['169.254.169.254'],
  'mapped.test': ['::ffff:a9fe:a9fe'],
  'nat64.test': ['64:ff9b::a9fe:a9fe'],
  'azure.test': ['168.63.129.16'],
  'linklocal.test': ['fe80::1'],
  'split.test': ['127.0.0.1', '100.100.100.200'],
};
const resolver: Resolver = async (host) => {
  const found = dns[host];
  if (!found) throw Object.assign(new Error(`${host} ENOTFOUND`), { code: 'ENOTFOUND' });
  return found;
};

/** Every spelling of a metadata or link-local destination a URL can carry: each must be refused. */
const REFUSED_URLS = [
  'http://169.254.169.254/latest/meta-data/',
  'http://169.254.169.123/',
  'http://169.254.170.2/v2/credentials',
  'http://168.63.129.16/machine',
  'http://100.100.100.200/latest/meta-data/',
  'http://[fd00:ec2::254]/latest/meta-data/',
  'http://[::ffff:169.254.169.254]/',
  'http://[::ffff:a9fe:a9fe]/',
  'http://[::169.254.169.254]/',
  'http://[::a9fe:a9fe]/',
  'http://[64:ff9b::a9fe:a9fe]/',
  'http://[64:ff9b::169.254.169.254]/',
  'http://[64:ff9b:1::a9fe:a9fe]/',
  'http://[::ffff:0:a9fe:a9fe]/',
  'http://[2002:a9fe:a9fe::]/',
  'http://[::ffff:168.63.129.16]/',
  'http://2852039166/',
  'http://0xa9fea9fe/',
  'http://0251.0376.0251.0376/',
  'http://169.254.169.254./',
  'http://metadata.google.internal/computeMetadata/v1/',
  'http://METADATA.GOOGLE.INTERNAL./',
  'http://metadata.goog/',
  'http://169.254.1.1/',
  'http://[fe80::1]/',
  'http://[::ffff:169.254.1.1]/',
  'http://imds.test/',
  'http://mapped.test/',
  'http://nat64.test/',
  'http://azure.test/',
  'http://linklocal.test/',
  'http://split.test/',
];

describe('the destination policy', () => {
  it('refuses every spelling of a metadata or link-local address, with no lists configured', async () => {
    const policy = createDestinationPolicy({}, resolver);
    for (const url of REFUSED_URLS) {
      await assert.rejects(policy.check(url), DestinationRefusedError, url);
    }
    await policy.check('http://local.test:8080/hook');
    await policy.check('http://[::1]:8080/hook');
    await policy.check('http://10.1.2.3/hook'); // private addresses stay allowed unless denied
  });

  it('refuses metadata addresses even when the allow list covers everything, and link-local only then allows', async () => {
    const policy = createDestinationPolicy({ allow: ['0.0.0.0/0', '::/0'] }, resolver);
    for (const url of REFUSED_URLS.filter((u) => !/169\.254\.1\.1|fe80|linklocal/.test(u))) {
      await assert.rejects(policy.check(url), /metadata/, url);
    }
    await policy.check('http://169.254.1.1/');
    await policy.check('http://[fe80::1]/');
  });

  it('applies the deny list to the IPv4 address an IPv6 one carries', async () => {
    const policy = createDestinationPolicy({ deny: ['private', 'loopback'] }, resolver);
    for (const url of [
      'http://[::ffff:10.0.0.1]/',
      'http://[::ffff:7f00:1]/',
      'http://[64:ff9b::10.0.0.1]/',
      'http://local.test/',
    ]) {
      await assert.rejects(policy.check(url), /delivery\.destinations\.deny/, url);
    }
  });
});

describe('the guarded dispatcher', () => {
  let server: Server;
  let base = '';
  let hits: string[] = [];
  before(async () => {
    server = createServer((req, res) => {
      hits.push(req.url ?? '');
      const to = req.url?.startsWith('/redirect?to=') ? decodeURIComponent(req.url.slice('/redirect?to='.length)) : null;
      if (to) res.writeHead(302, { location: to }).end();
      else res.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const port = () => (server.address() as AddressInfo).port;
  const refusedAtConnect = async (request: Promise<Response>, reason: RegExp) => {
    await assert.rejects(request, (error: Error & { cause?: unknown }) => {
      assert.ok(error.cause instanceof DestinationRefusedError, `not refused by the policy: ${error.cause ?? error}`);
      assert.match(error.cause.message, reason);
      return true;
    });
  };

  it('connects to an allowed address through the injected resolver, and refuses the address a name resolves to at connect', async () => {
    hits = [];
    const dispatcher = guardedDispatcher(createDestinationPolicy({}, resolver));
    const fetchGuarded = guardedFetch(dispatcher);
    try {
      assert.equal(await (await fetchGuarded(`http://local.test:${port()}/fine`)).text(), 'ok');
      // No check() first: only the connection's own lookup stands between the request and the address.
      await refusedAtConnect(
        fetchGuarded(`http://imds.test:${port()}/latest/meta-data/`),
        /imds\.test resolves to 169\.254\.169\.254/,
      );
      await refusedAtConnect(fetchGuarded(`http://nat64.test:${port()}/`), /169\.254\.169\.254/);
      await refusedAtConnect(fetchGuarded(`http://[::ffff:a9fe:a9fe]:${port()}/`), /metadata/);
      assert.deepEqual(hits, ['/fine']);
    } finally {
      await dispatcher.close();
    }
  });

  it('checks every redirect hop, by literal address and by name', async () => {
    hits = [];
    const outbound = createOutbound({ deliverySection: undefined, resolve: resolver });
    try {
      for (const target of [
        'http://[::169.254.169.254]/latest/',
        'http://168.63.129.16/machine',
        `http://imds.test:${port()}/`,
      ]) {
        await refusedAtConnect(outbound.upstreamFetch(`${base}/redirect?to=${encodeURIComponent(target)}`), /metadata/);
      }
      assert.equal(hits.length, 3, 'only the first hops reached the local server');
    } finally {
      await outbound.close();
    }
  });
});

describe('endpoints under the destination policy', () => {
  let relay: TestRelay;
  before(async () => {
    relay = await startRelay({ resolver });
  });
  after(() => relay.stop());

  it('refuses the endpoint URLs the old guard let through with 400 destination_refused', async () => {
    for (const url of [
      'http://[::169.254.169.254]/',
      'http://[64:ff9b::a9fe:a9fe]/',
      'http://168.63.129.16/',
      'http://169.254.169.123/',
    ]) {
      const res = await fetch(`${relay.url}/v1/endpoints`, {
        method: 'POST',
        headers: { ...relay.auth, 'content-type': 'application/json' },
        body: JSON.stringify({ url }),
      });
      assert.equal(res.status, 400, url);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'destination_refused', url);
    }
    const listed = (await (await fetch(`${relay.url}/v1/endpoints`, { headers: relay.auth })).json()) as { data: unknown[] };
    assert.deepEqual(listed.data, []);
  });
});
