import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FakeClock } from '../helpers/fake-clock.ts';
import { ADMIN_TOKEN, startRelay, type TestRelay } from '../helpers/relay.ts';
import { call, type SourceAnswer, sendSigned } from './source-client.ts';

const CONFIG_SECRET = `whsec_${Buffer.from('config-source-secret').toString('base64')}`;
const HOUR = 3_600_000;

describe('sources made at runtime (file store)', () => {
  let relay: TestRelay;
  const clock = new FakeClock(Date.parse('2026-03-01T12:00:00Z'));
  const at = () => new Date(clock.now());
  const api = <T = Record<string, unknown>>(method: string, path: string, body?: unknown) =>
    call<T>(relay.url, ADMIN_TOKEN, method, path, body);

  before(async () => {
    relay = await startRelay({
      clock,
      sources: [{ name: 'from-file', verify: { scheme: 'standard-webhooks', secrets: [CONFIG_SECRET] } }],
    });
  });
  after(() => relay?.stop());

  it('creates a source with a generated whsec_ secret and its absolute URL, and accepts webhooks signed with it at once', async () => {
    const created = await api<SourceAnswer>('POST', '/v1/sources', { name: 'orders', verify: { scheme: 'standard-webhooks' } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.url, `${relay.url}/hooks/orders`);
    assert.equal(created.body.origin, 'api');
    const [secret] = created.body.verify.secrets ?? [];
    assert.match(secret, /^whsec_[A-Za-z0-9+/]{32}$/);
    const sent = await sendSigned(created.body.url, secret, { type: 'order.created', n: 1 }, at());
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    const events = await api<{ data: Array<{ id: string; type: string; verified: { scheme: string } }> }>(
      'GET',
      '/v1/events?source=orders',
    );
    assert.deepEqual(
      events.body.data.map((e) => [e.id, e.type, e.verified.scheme]),
      [[sent.body.id, 'order.created', 'standard-webhooks']],
    );
  });

  it('refuses a webhook signed with another secret, as for a config source', async () => {
    const other = `whsec_${Buffer.from('not-the-secret-at-all').toString('base64')}`;
    const sent = await sendSigned(`${relay.url}/hooks/orders`, other, { type: 'order.created' }, at());
    assert.equal(sent.status, 401);
    assert.equal(sent.body.error?.code, 'signature_invalid');
  });

  it('lists config sources read-only and made sources, never with a secret, with last-hour counts', async () => {
    const list = await api<{ data: SourceAnswer[] }>('GET', '/v1/sources');
    assert.equal(list.status, 200);
    const byName = new Map(list.body.data.map((s) => [s.name, s]));
    assert.equal(byName.get('from-file')?.origin, 'config');
    assert.equal(byName.get('orders')?.origin, 'api');
    assert.deepEqual(byName.get('orders')?.counts, { window_seconds: 3600, accepted: 1, rejected: 1 });
    assert.equal(byName.get('from-file')?.url, `${relay.url}/hooks/from-file`);
    const text = JSON.stringify(list.body);
    assert.ok(!text.includes('whsec_'), text);
    assert.ok(!('secrets' in (byName.get('from-file')?.verify ?? {})));
    const one = await api<SourceAnswer>('GET', '/v1/sources/orders');
    assert.equal(one.status, 200);
    assert.ok(!JSON.stringify(one.body).includes('whsec_'));
    assert.equal(one.body.counts?.accepted, 1);
  });

  it('answers coded errors for bad sources, with the same rules as the config file, and stores nothing', async () => {
    const cases: Array<[unknown, number, string, RegExp]> = [
      [{ name: 'x', verify: { scheme: 'carrier-pigeon' } }, 400, 'invalid_request', /verify\.scheme: expected one of/],
      [{ name: 'bad name!', verify: { scheme: 'github' } }, 400, 'invalid_request', /name: expected text matching/],
      [
        { name: 'x', verify: { scheme: 'standard-webhooks', secrets: ['plain'] } },
        400,
        'invalid_request',
        /verify\.secrets\[0\]: expected "whsec_"/,
      ],
      [{ name: 'x', verify: { scheme: 'none' } }, 400, 'invalid_request', /insecure: true/],
      [{ name: 'x', verify: { scheme: 'hmac' } }, 400, 'invalid_request', /verify\.header/],
      [{ name: 'x', verify: { scheme: 'stripe' } }, 400, 'invalid_request', /verify\.secrets/],
      [{ name: 'x', verify: { scheme: 'github' }, colour: 'red' }, 400, 'invalid_request', /colour: is not a known key/],
      [{ name: 'orders', verify: { scheme: 'github' } }, 409, 'source_exists', /exists already/],
      [{ name: 'from-file', verify: { scheme: 'github' } }, 409, 'source_exists', /config file/],
      [[1, 2], 400, 'invalid_request', /JSON object/],
    ];
    for (const [body, status, code, message] of cases) {
      const res = await api<{ error: { code: string; message: string } }>('POST', '/v1/sources', body);
      assert.equal(res.status, status, JSON.stringify(body));
      assert.equal(res.body.error.code, code, JSON.stringify(body));
      assert.match(res.body.error.message, message);
    }
    const names = (await api<{ data: SourceAnswer[] }>('GET', '/v1/sources')).body.data.map((s) => s.name);
    assert.deepEqual(names.sort(), ['from-file', 'orders']);
  });

  it('refuses to change, rotate or delete a config source with 409 source_read_only', async () => {
    for (const [method, path] of [
      ['PATCH', '/v1/sources/from-file'],
      ['DELETE', '/v1/sources/from-file'],
      ['POST', '/v1/sources/from-file/rotate-secret'],
    ]) {
      const res = await api<{ error: { code: string } }>(method, path, {});
      assert.equal(res.status, 409, `${method} ${path}`);
      assert.equal(res.body.error.code, 'source_read_only');
    }
    assert.equal((await sendSigned(`${relay.url}/hooks/from-file`, CONFIG_SECRET, { type: 'still.works' }, at())).status, 200);
  });

  it('rotates: old and new secrets both verify during the overlap, the old one is refused after it', async () => {
    const before = await api<SourceAnswer>('POST', '/v1/sources', { name: 'rotating', verify: { scheme: 'standard-webhooks' } });
    const [old] = before.body.verify.secrets ?? [];
    const rotated = await api<SourceAnswer>('POST', '/v1/sources/rotating/rotate-secret', { overlap_seconds: 3600 });
    assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
    const [fresh] = rotated.body.verify.secrets ?? [];
    assert.notEqual(fresh, old);
    assert.deepEqual(rotated.body.previous_secrets, [{ expires_at: new Date(clock.now() + HOUR).toISOString() }]);
    const hook = `${relay.url}/hooks/rotating`;
    assert.equal((await sendSigned(hook, old, { type: 'during.old' }, at())).status, 200);
    assert.equal((await sendSigned(hook, fresh, { type: 'during.new' }, at())).status, 200);
    clock.advance(HOUR - 1000);
    assert.equal((await sendSigned(hook, old, { type: 'late.old' }, at())).status, 200);
    clock.advance(1000);
    const refused = await sendSigned(hook, old, { type: 'after.old' }, at());
    assert.equal(refused.status, 401);
    assert.equal(refused.body.error?.code, 'signature_invalid');
    assert.equal((await sendSigned(hook, fresh, { type: 'after.new' }, at())).status, 200);
    const listed = await api<SourceAnswer>('GET', '/v1/sources/rotating');
    assert.deepEqual(listed.body.previous_secrets, []);
  });

  it('rotates with a default overlap of 24 hours, and takes a secret the provider issued', async () => {
    await api('POST', '/v1/sources', { name: 'gh', verify: { scheme: 'github' } });
    const rotated = await api<SourceAnswer>('POST', '/v1/sources/gh/rotate-secret', { secret: 'issued-by-provider' });
    assert.deepEqual(rotated.body.verify.secrets, ['issued-by-provider']);
    assert.deepEqual(rotated.body.previous_secrets, [{ expires_at: new Date(clock.now() + 24 * HOUR).toISOString() }]);
    const bad = await api<{ error: { code: string } }>('POST', '/v1/sources/gh/rotate-secret', { overlap_seconds: -1 });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'invalid_request');
    const stripe = await api('POST', '/v1/sources', { name: 'st', verify: { scheme: 'stripe', secrets: ['whsec_x'] } });
    assert.equal(stripe.status, 201);
    const noSecret = await api<{ error: { message: string } }>('POST', '/v1/sources/st/rotate-secret', {});
    assert.equal(noSecret.status, 400);
    assert.match(noSecret.body.error.message, /stripe issues its own secrets/);
  });

  it('changes settings with PATCH but never the name', async () => {
    const patched = await api<SourceAnswer & { description: string; verify: { toleranceSeconds: number } }>(
      'PATCH',
      '/v1/sources/orders',
      { description: 'shop orders', verify: { toleranceSeconds: 60 } },
    );
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    assert.equal(patched.body.description, 'shop orders');
    assert.equal(patched.body.verify.toleranceSeconds, 60);
    assert.ok(!JSON.stringify(patched.body).includes('whsec_'));
    const stale = new Date(clock.now() - 120_000);
    const list = await api<{ data: SourceAnswer[] }>('GET', '/v1/sources');
    assert.ok(list.body.data.some((s) => s.name === 'orders'));
    // The original secret still verifies, now with the narrower tolerance.
    const kept = await readFile(join(relay.dataDir, 'state', 'sources.json'), 'utf8');
    const secret = (JSON.parse(kept) as { rows: Array<{ id: string; secrets: Array<{ secret: string }> }> }).rows.find(
      (r) => r.id === 'orders',
    )?.secrets[0].secret as string;
    const late = await sendSigned(`${relay.url}/hooks/orders`, secret, { type: 'late' }, stale);
    assert.equal(late.body.error?.code, 'timestamp_out_of_tolerance');
    const renamed = await api<{ error: { code: string } }>('PATCH', '/v1/sources/orders', { name: 'other' });
    assert.equal(renamed.status, 400);
    const notObject = await api<{ error: { code: string } }>('PATCH', '/v1/sources/orders', { verify: 'github' });
    assert.equal(notObject.status, 400);
    assert.equal(notObject.body.error.code, 'invalid_request');
    const wrong = await api<{ error: { message: string } }>('PATCH', '/v1/sources/orders', { verify: { scheme: 'none' } });
    assert.equal(wrong.status, 400);
    assert.match(wrong.body.error.message, /insecure: true/);
  });

  it('keeps made sources with their secrets in a 0600 file in a 0700 folder', async () => {
    assert.equal((await stat(join(relay.dataDir, 'state'))).mode & 0o777, 0o700);
    assert.equal((await stat(join(relay.dataDir, 'state', 'sources.json'))).mode & 0o777, 0o600);
  });

  it('deletes: the URL answers 404 source_not_found at once, and the stored events stay', async () => {
    const deleted = await api('DELETE', '/v1/sources/orders');
    assert.deepEqual(deleted.body, { object: 'source', name: 'orders', deleted: true });
    const sent = await sendSigned(`${relay.url}/hooks/orders`, CONFIG_SECRET, { type: 'gone' }, at());
    assert.equal(sent.status, 404);
    assert.equal(sent.body.error?.code, 'source_not_found');
    const events = await api<{ data: unknown[] }>('GET', '/v1/events?source=orders');
    assert.equal(events.body.data.length, 1);
    assert.equal((await api('GET', '/v1/sources/orders')).status, 404);
    assert.equal((await api('DELETE', '/v1/sources/orders')).status, 404);
  });
});

describe('sources made at runtime survive a restart', () => {
  it('verifies with the stored secret after the relay starts again on the same data dir', async () => {
    const first = await startRelay();
    const { dataDir } = first;
    let second: TestRelay | null = null;
    try {
      const created = await call<SourceAnswer>(first.url, ADMIN_TOKEN, 'POST', '/v1/sources', {
        name: 'kept',
        verify: { scheme: 'openai' },
      });
      const [secret] = created.body.verify.secrets ?? [];
      await first.relay.stop();
      second = await startRelay({ dataDir });
      const sent = await sendSigned(`${second.url}/hooks/kept`, secret, { type: 'response.completed' });
      assert.equal(sent.status, 200, JSON.stringify(sent.body));
    } finally {
      await second?.stop();
      await first.stop();
    }
  });
});

describe('who may manage sources', () => {
  let relay: TestRelay;
  let reader: string;
  before(async () => {
    relay = await startRelay({ driver: 'memory' });
    reader = (await call<{ token: string }>(relay.url, ADMIN_TOKEN, 'POST', '/v1/tokens', { name: 'reader' })).body.token;
    await call(relay.url, ADMIN_TOKEN, 'POST', '/v1/sources', { name: 'made', verify: { scheme: 'github' } });
  });
  after(() => relay?.stop());

  const routes: Array<[string, string, unknown?]> = [
    ['GET', '/v1/sources'],
    ['POST', '/v1/sources', { name: 'sneaky', verify: { scheme: 'github' } }],
    ['GET', '/v1/sources/made'],
    ['PATCH', '/v1/sources/made', { description: 'changed' }],
    ['POST', '/v1/sources/made/rotate-secret', {}],
    ['DELETE', '/v1/sources/made'],
  ];

  it('refuses every sources route without a token (401) and with a reader token (403), changing nothing', async () => {
    for (const [method, path, body] of routes) {
      const anonymous = await call<{ error: { code: string } }>(relay.url, null, method, path, body);
      assert.equal(anonymous.status, 401, `${method} ${path}`);
      assert.equal(anonymous.body.error.code, 'unauthorized');
      const read = await call<{ error: { code: string } }>(relay.url, reader, method, path, body);
      assert.equal(read.status, 403, `${method} ${path}`);
      assert.equal(read.body.error.code, 'insufficient_scope');
    }
    const list = await call<{ data: Array<{ name: string; description: string | null }> }>(
      relay.url,
      ADMIN_TOKEN,
      'GET',
      '/v1/sources',
    );
    assert.deepEqual(
      list.body.data.map((s) => [s.name, s.description]),
      [['made', null]],
    );
  });
});
