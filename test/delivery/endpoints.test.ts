import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestRelay } from '../helpers/relay.ts';
import { waitFor } from '../helpers/wait.ts';
import { FakeClock } from '../helpers/fake-clock.ts';
import { Receiver } from './receiver.ts';
import { api, createEndpoint, deliveries, deliveryRelay, ingest } from './setup.ts';

const HOUR = 3_600_000;

describe('endpoints: filters, rotation, retry, recover, replay', () => {
  let relay: TestRelay;
  let receiver: Receiver;
  const clock = new FakeClock();
  before(async () => {
    relay = await deliveryRelay({ clock, delivery: { jitter: 0, scheduleSeconds: [0, 10] } });
    receiver = await new Receiver().start();
  });
  after(async () => {
    await relay.stop();
    await receiver.stop();
  });

  it('delivers only events matching the source list and type globs', async () => {
    const endpoint = await createEndpoint(relay, {
      url: `${receiver.url}/filtered`,
      filter: { sources: ['dev'], types: ['invoice.*', 'ping'] },
    });
    const wanted = [await ingest(relay, { type: 'invoice.paid' }), await ingest(relay, { type: 'ping' })];
    await ingest(relay, { type: 'customer.created' });
    await ingest(relay, { type: 'invoice.paid' }, 'other');
    const list = await waitFor('two deliveries', async () => {
      const rows = await deliveries(relay, endpoint.id);
      return rows.length === 2 && rows.every((d) => d.status === 'succeeded') ? rows : null;
    });
    assert.deepEqual(list.map((d) => (d as unknown as { event_id: string }).event_id).sort(), wanted.sort());
    assert.equal(receiver.received.filter((r) => r.path === '/filtered').length, 2);
  });

  it('signs with both the old and the new secret for 24 h after a rotation, then only the new one', async () => {
    const endpoint = await createEndpoint(relay, { url: `${receiver.url}/rotating`, filter: { types: ['rot.*'] } });
    const rotated = await api<{ secret: string }>(relay, `/v1/endpoints/${endpoint.id}/rotate-secret`, { method: 'POST' });
    assert.notEqual(rotated.body.secret, endpoint.secret);
    receiver.secrets = [endpoint.secret, rotated.body.secret];
    await ingest(relay, { type: 'rot.1' });
    const during = await waitFor('the delivery during rotation', () => receiver.received.find((r) => r.path === '/rotating'));
    assert.deepEqual(during.verifiedWith.sort(), [endpoint.secret, rotated.body.secret].sort());
    assert.equal(String(during.headers['webhook-signature']).split(' ').length, 2);
    clock.advance(24 * HOUR + 1);
    const seen = receiver.received.length;
    await ingest(relay, { type: 'rot.2' });
    const later = await waitFor('the delivery after the window', () =>
      receiver.received.slice(seen).find((r) => r.path === '/rotating'),
    );
    assert.deepEqual(later.verifiedWith, [rotated.body.secret]);
  });

  it('retries one delivery by hand, recovers failed ones since a time, and replays any stored event', async () => {
    let down = true;
    receiver.answer = (_i, req) => (req.path === '/flaky' && down ? { status: 500 } : { status: 200 });
    const endpoint = await createEndpoint(relay, { url: `${receiver.url}/flaky`, filter: { types: ['flaky'] } });
    const since = new Date(clock.now()).toISOString();
    await ingest(relay, { type: 'flaky', n: 1 });
    await ingest(relay, { type: 'flaky', n: 2 });
    await waitFor('first attempts', async () => {
      const rows = await deliveries(relay, endpoint.id);
      return rows.length === 2 && rows.every((d) => d.attempt_count === 1);
    });
    clock.advance(10_000);
    const failed = await waitFor('both to fail', async () => {
      const rows = await deliveries(relay, endpoint.id);
      return rows.length === 2 && rows.every((d) => d.status === 'failed') ? rows : null;
    });
    down = false;
    const retried = await api<{ status: string }>(relay, `/v1/deliveries/${failed[0].id}/retry`, { method: 'POST' });
    assert.equal(retried.status, 202);
    await waitFor(
      'the retried delivery to succeed',
      async () => (await api(relay, `/v1/deliveries/${failed[0].id}`)).body.status === 'succeeded',
    );
    const recovered = await api<{ recovered: number }>(relay, `/v1/endpoints/${endpoint.id}/recover`, {
      method: 'POST',
      body: { since },
    });
    assert.equal(recovered.body.recovered, 1, 'only the one still failed');
    await waitFor('all to succeed', async () => (await deliveries(relay, endpoint.id)).every((d) => d.status === 'succeeded'));
    const shown = await api<{ attempts: Array<{ trigger: string }> }>(relay, `/v1/deliveries/${failed[1].id}`);
    assert.deepEqual(
      shown.body.attempts.map((a) => a.trigger),
      ['scheduled', 'scheduled', 'manual'],
    );

    const old = await ingest(relay, { type: 'not-matching' });
    const replay = await api<{ id: string; origin: string }>(relay, `/v1/endpoints/${endpoint.id}/replay`, {
      method: 'POST',
      body: { event_id: old },
    });
    assert.equal(replay.status, 202);
    assert.equal(replay.body.origin, 'replay');
    await waitFor('the replayed event', () =>
      receiver.received.find((r) => r.path === '/flaky' && r.headers['webhook-id'] === old),
    );
    const missing = await api<{ error: { code: string } }>(relay, `/v1/endpoints/${endpoint.id}/replay`, {
      method: 'POST',
      body: { event_id: 'evt_nope' },
    });
    assert.equal(missing.body.error.code, 'not_found');
    const badSince = await api<{ error: { code: string } }>(relay, `/v1/endpoints/${endpoint.id}/recover`, {
      method: 'POST',
      body: { since: 'yesterday' },
    });
    assert.equal(badSince.body.error.code, 'invalid_request');
  });

  it('disables and re-enables an endpoint with a reason, and deletes it', async () => {
    const endpoint = await createEndpoint(relay, { url: `${receiver.url}/toggle`, filter: { types: ['toggle'] } });
    const off = await api(relay, `/v1/endpoints/${endpoint.id}`, {
      method: 'PATCH',
      body: { enabled: false, disabled_reason: 'maintenance' },
    });
    assert.equal(off.body.disabled_reason, 'maintenance');
    await ingest(relay, { type: 'toggle' });
    const on = await api(relay, `/v1/endpoints/${endpoint.id}`, {
      method: 'PATCH',
      body: { enabled: true, description: 'back' },
    });
    assert.equal(on.body.enabled, true);
    assert.equal(on.body.disabled_reason, null);
    assert.equal((await deliveries(relay, endpoint.id)).length, 0, 'events while disabled are not queued');
    await ingest(relay, { type: 'toggle' });
    await waitFor('a delivery after enabling', () => receiver.received.find((r) => r.path === '/toggle'));
    const removed = await api(relay, `/v1/endpoints/${endpoint.id}`, { method: 'DELETE' });
    assert.equal(removed.body.deleted, true);
    assert.equal((await api(relay, `/v1/endpoints/${endpoint.id}`)).status, 404);
  });
});
