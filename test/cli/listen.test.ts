import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { signHeaders } from '../../server/ingest/signers.ts';
import { ADMIN_TOKEN, startRelay, type TestRelay } from '../helpers/relay.ts';
import { waitFor } from '../helpers/wait.ts';
import { spawnListen, startLocalApp } from './listen-helpers.ts';

const SHOP_SECRET = `whsec_${Buffer.from('listen test shop secret').toString('base64')}`;
const GITHUB_SECRET = 'listen-github-secret';
/** Each wait includes starting a Node child process, which a loaded machine makes slow. */
const until = <T>(what: string, check: () => T | Promise<T>) => waitFor(what, check, 60_000);

const LOCAL_SECRET = `whsec_${Buffer.from('the local app secret').toString('base64')}`;

/** A port nothing listens on (one the system just gave out and took back). */
async function closedPort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A provider sending a Standard Webhooks event, signed with the standardwebhooks library; answers the event id. */
async function sendShop(relay: TestRelay, body: string): Promise<string> {
  const id = `msg_${Math.random().toString(36).slice(2)}`;
  const now = new Date();
  const res = await fetch(`${relay.url}/hooks/shop`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
      'webhook-signature': new Webhook(SHOP_SECRET).sign(id, now, body),
    },
    body,
  });
  assert.equal(res.status, 200, await res.clone().text());
  return ((await res.json()) as { id: string }).id;
}

async function sendGithub(relay: TestRelay, event: string, payload: unknown): Promise<string> {
  const body = JSON.stringify(payload);
  const headers = signHeaders({ verify: { scheme: 'github' }, secret: GITHUB_SECRET, body });
  const res = await fetch(`${relay.url}/hooks/gh`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json', 'x-github-event': event },
    body,
  });
  assert.equal(res.status, 200);
  return ((await res.json()) as { id: string }).id;
}

describe('hookrelay listen --forward-to', () => {
  let relay: TestRelay;
  let dir: string;
  let n = 0;
  const stateFile = () => join(dir, `state-${++n}.json`);
  const base = () => ['--url', relay.url, '--token', ADMIN_TOKEN];

  before(async () => {
    relay = await startRelay({
      sources: [
        { name: 'shop', verify: { scheme: 'standard-webhooks', secrets: [SHOP_SECRET] } },
        { name: 'gh', verify: { scheme: 'github', secrets: [GITHUB_SECRET] } },
      ],
    });
    dir = await mkdtemp(join(tmpdir(), 'hookrelay-listen-'));
  });
  after(async () => {
    await relay?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('forwards the body byte for byte with the provider signature headers, which the local app verifies', async (t) => {
    const app = await startLocalApp({ secret: SHOP_SECRET });
    const listen = spawnListen([...base(), '--forward-to', app.url, '--state', stateFile()]);
    t.after(async () => {
      await listen.stop();
      await app.close();
    });
    await until('listen to connect', listen.connected);
    // Odd spacing, key order and non-ASCII: a relay that re-serialised JSON would break the signature.
    const body = '{"type":"order.created",   "b":1,"a":"ünïcødé ✓ \\u00e9",\n "n":[1 ,2]}\r\n';
    const id = await sendShop(relay, body);
    await until('the forward', () => app.receipts.length === 1);
    const [receipt] = app.receipts;
    assert.equal(receipt.eventId, id);
    assert.ok(receipt.body.equals(Buffer.from(body)), 'the same bytes');
    assert.equal(receipt.verified, true);
    assert.equal(receipt.headers['content-type'], 'application/json');
    await until('the line', () => listen.lines.length === 1);
    const fields = listen.lines[0].split(/\s+/);
    assert.deepEqual([fields[1], fields[2], fields[3], fields.at(-1)], ['shop', 'order.created', '200', id]);
    assert.ok(!Number.isNaN(Date.parse(fields[0])));
  });

  it('forwards each event exactly once across a kill and a restart, including those sent while it was down', async (t) => {
    const app = await startLocalApp();
    const state = stateFile();
    const args = [...base(), '--forward-to', app.url, '--state', state];
    let listen = spawnListen(args);
    t.after(async () => {
      await listen.stop();
      await app.close();
    });
    await until('listen to connect', listen.connected);
    const first = await sendShop(relay, '{"type":"order.created","n":1}');
    await until('the first line', () => listen.lines.length === 1);
    await listen.stop('SIGKILL');
    const whileDown = [
      await sendShop(relay, '{"type":"order.paid","n":2}'),
      await sendShop(relay, '{"type":"order.paid","n":3}'),
    ];
    listen = spawnListen(args);
    await until('the two missed events', () => whileDown.every((id) => app.delivered(id) === 1));
    // In id order: once a later event is through, no earlier one can still come again.
    const last = await sendShop(relay, '{"type":"order.shipped","n":4}');
    await until('the last event', () => app.delivered(last) === 1);
    await until('its line (printed once the cursor is saved)', () => listen.lines.some((l) => l.endsWith(last)));
    assert.deepEqual(
      app.receipts.map((r) => r.eventId),
      [first, ...whileDown, last],
    );
    assert.equal(JSON.parse(await readFile(state, 'utf8')).cursor, last);
  });

  it('retries a local app that answers 500 with backoff, and it gets the event once it recovers', async (t) => {
    const app = await startLocalApp();
    app.answers.push(500, 503);
    const listen = spawnListen([...base(), '--forward-to', app.url, '--state', stateFile()]);
    t.after(async () => {
      await listen.stop();
      await app.close();
    });
    await until('listen to connect', listen.connected);
    const id = await sendShop(relay, '{"type":"order.created","flaky":true}');
    await until('the delivery', () => app.delivered(id) === 1);
    assert.deepEqual(
      app.receipts.map((r) => [r.eventId, r.answered]),
      [
        [id, 500],
        [id, 503],
        [id, 200],
      ],
    );
    await until('three lines', () => listen.lines.length === 3);
    assert.match(listen.lines[0], /\s500\s.*retrying in 0\.5 s/);
    assert.match(listen.lines[1], /\s503\s.*retrying in 1 s/);
    assert.match(listen.lines[2], new RegExp(`\\s200\\s+\\d+ ms\\s+${id}$`));
  });

  it('with --no-retry reports a failure once and goes on to the next event', async (t) => {
    const app = await startLocalApp();
    app.answers.push(500);
    const listen = spawnListen([...base(), '--forward-to', app.url, '--state', stateFile(), '--no-retry']);
    t.after(async () => {
      await listen.stop();
      await app.close();
    });
    await until('listen to connect', listen.connected);
    const failed = await sendShop(relay, '{"type":"order.created","n":"fails"}');
    const next = await sendShop(relay, '{"type":"order.created","n":"next"}');
    await until('the next event', () => app.delivered(next) === 1);
    assert.deepEqual(
      app.receipts.map((r) => [r.eventId, r.answered]),
      [
        [failed, 500],
        [next, 200],
      ],
    );
    assert.match(listen.lines[0], /\s500\s.*gave up after 1 attempt/);
  });

  it('forwards only the sources and types asked for', async (t) => {
    const app = await startLocalApp();
    const listen = spawnListen([
      ...base(),
      '--forward-to',
      app.url,
      '--state',
      stateFile(),
      '--source',
      'gh',
      '--type',
      'issues.*',
      '--type',
      'push',
    ]);
    t.after(async () => {
      await listen.stop();
      await app.close();
    });
    await until('listen to connect', listen.connected);
    const skipped = [await sendShop(relay, '{"type":"push"}'), await sendGithub(relay, 'pull_request', { action: 'opened' })];
    const wanted = [await sendGithub(relay, 'issues', { action: 'opened' }), await sendGithub(relay, 'push', { ref: 'main' })];
    await until('the wanted events', () => wanted.every((id) => app.delivered(id) === 1));
    assert.deepEqual(
      app.receipts.map((r) => r.eventId),
      wanted,
    );
    assert.ok(skipped.every((id) => app.delivered(id) === 0));
    assert.equal(app.receipts[0].headers['x-github-event'], 'issues');
    assert.match(String(app.receipts[0].headers['x-hub-signature-256']), /^sha256=[0-9a-f]{64}$/);
  });

  it('re-signs as Standard Webhooks with --resign, for an app that verifies with a local secret', async (t) => {
    const app = await startLocalApp({ secret: LOCAL_SECRET });
    const listen = spawnListen([...base(), '--forward-to', app.url, '--state', stateFile(), '--resign', LOCAL_SECRET]);
    t.after(async () => {
      await listen.stop();
      await app.close();
    });
    await until('listen to connect', listen.connected);
    const fromShop = await sendShop(relay, '{"type":"order.created","resigned":true}');
    const fromGithub = await sendGithub(relay, 'push', { ref: 'main' });
    await until('both', () => app.receipts.length === 2);
    assert.deepEqual(
      app.receipts.map((r) => [r.eventId, r.verified]),
      [
        [fromShop, true],
        [fromGithub, true],
      ],
    );
  });

  it('keeps its cursor under the user cache folder by default and resumes from it', async (t) => {
    const cache = await mkdtemp(join(tmpdir(), 'hookrelay-cache-'));
    const app = await startLocalApp();
    const args = [...base(), '--forward-to', app.url, '--source', 'shop'];
    let listen = spawnListen(args, { XDG_CACHE_HOME: cache });
    t.after(async () => {
      await listen.stop();
      await app.close();
      await rm(cache, { recursive: true, force: true });
    });
    await until('listen to connect', listen.connected);
    const files = await readdir(join(cache, 'hookrelay'));
    assert.equal(files.length, 1);
    assert.match(files[0], /^listen-[0-9a-f]{16}\.json$/);
    await listen.stop();
    const missed = await sendShop(relay, '{"type":"order.created","while":"stopped"}');
    listen = spawnListen(args, { XDG_CACHE_HOME: cache });
    await until('the missed event', () => app.delivered(missed) === 1);
  });

  it('starts from --since or --after when given', async (t) => {
    const app = await startLocalApp();
    const before = await sendShop(relay, '{"type":"order.created","old":true}');
    const listen = spawnListen([
      ...base(),
      '--forward-to',
      app.url,
      '--state',
      stateFile(),
      '--source',
      'shop',
      '--after',
      before,
    ]);
    t.after(async () => {
      await listen.stop();
      await app.close();
    });
    const next = await sendShop(relay, '{"type":"order.created","old":false}');
    await until('the event after the cursor', () => app.delivered(next) === 1);
    assert.equal(app.delivered(before), 0);
    const since = spawnListen([...base(), '--forward-to', app.url, '--state', stateFile(), '--source', 'shop', '--since', '1h']);
    t.after(() => since.stop());
    await until('the replay from an hour ago', () => app.delivered(before) === 1 && app.delivered(next) === 2);
  });

  it('refuses a wrong token with the relay answer and exit code 1, and takes a reader key', async (t) => {
    const app = await startLocalApp();
    t.after(() => app.close());
    const refused = spawnListen(['--url', relay.url, '--token', 'wrong', '--forward-to', app.url, '--state', stateFile()]);
    assert.equal(await refused.exited, 1);
    assert.match(refused.errors.join('\n'), /401/);
    const closed = await closedPort();
    const unreachable = spawnListen(['--url', `http://127.0.0.1:${closed}`, '--token', 'x', '--forward-to', app.url]);
    assert.equal(await unreachable.exited, 1);
    const said = unreachable.errors.join('\n');
    assert.ok(said.includes(`cannot reach http://127.0.0.1:${closed} (ECONNREFUSED)`), said);
    const created = await fetch(`${relay.url}/v1/tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'laptop', sources: ['shop'] }),
    });
    const { token } = (await created.json()) as { token: string };
    const listen = spawnListen([
      '--url',
      relay.url,
      '--token',
      token,
      '--forward-to',
      app.url,
      '--state',
      stateFile(),
      '--source',
      'shop',
    ]);
    t.after(() => listen.stop());
    await until('listen to connect', listen.connected);
    const id = await sendShop(relay, '{"type":"order.created","reader":true}');
    await until('the forward', () => app.delivered(id) === 1);
    const other = spawnListen([
      '--url',
      relay.url,
      '--token',
      token,
      '--forward-to',
      app.url,
      '--state',
      stateFile(),
      '--source',
      'gh',
    ]);
    assert.equal(await other.exited, 1);
    assert.match(other.errors.join('\n'), /403/);
  });
});
