import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DELIVERY } from '../../plugins/sdk.ts';
import type { TestRelay } from '../helpers/relay.ts';
import { waitFor } from '../helpers/wait.ts';
import { Receiver } from './receiver.ts';
import { api, createEndpoint, deliveries, deliveryRelay, ingest } from './setup.ts';

describe('signed delivery to an endpoint', () => {
  let relay: TestRelay;
  let receiver: Receiver;
  before(async () => {
    relay = await deliveryRelay();
    receiver = await new Receiver().start();
  });
  after(async () => {
    await relay.stop();
    await receiver.stop();
  });

  it('posts the original bytes and content type, signed so the svix library verifies them', async () => {
    const endpoint = await createEndpoint(relay, { url: `${receiver.url}/hook`, description: 'worker' });
    assert.match(endpoint.secret, /^whsec_[A-Za-z0-9+/]{40,}={0,2}$/);
    assert.ok(Buffer.from(endpoint.secret.slice(6), 'base64').length >= 24);
    receiver.secrets = [endpoint.secret];
    const body = 'a=1&type=order.created&b=%20x';
    const eventId = await ingest(relay, body, 'dev', 'application/x-www-form-urlencoded');
    const got = await waitFor('the delivery', () => receiver.received[0]);
    assert.equal(got.body, body);
    assert.equal(got.headers['content-type'], 'application/x-www-form-urlencoded');
    assert.equal(got.headers['webhook-id'], eventId);
    assert.equal(got.headers['x-hookrelay-source'], 'dev');
    assert.equal(got.headers['x-hookrelay-event-type'], 'order.created');
    assert.deepEqual(got.verifiedWith, [endpoint.secret]);
    const [delivery] = await waitFor('the delivery to be recorded', async () => {
      const list = await deliveries(relay, endpoint.id);
      return list[0]?.status === 'succeeded' ? list : null;
    });
    assert.equal(delivery.attempt_count, 1);
    assert.equal(delivery.attempts[0].status_code, 204);
  });

  it('sends JSON events with custom headers, and the secret is not shown by GET', async () => {
    const endpoint = await createEndpoint(relay, {
      url: `${receiver.url}/json`,
      filter: { types: ['invoice.*'] },
      headers: { 'x-team': 'billing' },
    });
    const shown = await api(relay, `/v1/endpoints/${endpoint.id}`);
    assert.equal(shown.body.secret, undefined);
    assert.deepEqual(shown.body.headers, { 'x-team': 'billing' });
    const secret = await api<{ secret: string }>(relay, `/v1/endpoints/${endpoint.id}/secret`);
    assert.equal(secret.body.secret, endpoint.secret);
    receiver.secrets = [endpoint.secret];
    const before = receiver.received.length;
    const eventId = await ingest(relay, { type: 'invoice.paid', amount: 3 });
    const got = await waitFor('the JSON delivery', () => receiver.received.slice(before).find((r) => r.path === '/json'));
    assert.equal(got.headers['x-team'], 'billing');
    assert.equal(got.headers['x-hookrelay-event-type'], 'invoice.paid');
    assert.deepEqual(JSON.parse(got.body), { type: 'invoice.paid', amount: 3 });
    assert.equal(got.headers['webhook-id'], eventId);
    assert.deepEqual(got.verifiedWith, [endpoint.secret]);
  });

  it('refuses bad endpoint input with coded errors and stores nothing', async () => {
    const count = (await api<{ data: unknown[] }>(relay, '/v1/endpoints')).body.data.length;
    const cases: Array<[unknown, string]> = [
      [{}, 'invalid_request'],
      [{ url: 'ftp://x.example/' }, 'invalid_request'],
      [{ url: `${receiver.url}/`, headers: { 'webhook-id': 'x' } }, 'invalid_request'],
      [{ url: `${receiver.url}/`, concurrency: 0 }, 'invalid_request'],
      [{ url: `${receiver.url}/`, colour: 'red' }, 'invalid_request'],
      [{ url: 'http://169.254.169.254/latest/meta-data/' }, 'destination_refused'],
      [{ url: 'http://metadata.google.internal/' }, 'destination_refused'],
    ];
    for (const [body, code] of cases) {
      const res = await api<{ error: { code: string } }>(relay, '/v1/endpoints', { method: 'POST', body });
      assert.equal(res.body.error.code, code, JSON.stringify(body));
    }
    assert.equal((await api<{ data: unknown[] }>(relay, '/v1/endpoints')).body.data.length, count);
    assert.equal((await api(relay, '/v1/endpoints/ep_missing')).status, 404);
  });

  it('offers the delivery service: a signed delivery of a stored event to any URL, and to an endpoint', async () => {
    const service = relay.relay.ctx.services.get(DELIVERY);
    assert.ok(service);
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    receiver.secrets = [secret];
    const eventId = await ingest(relay, { type: 'workflow.output', ok: true });
    const { id } = await service.enqueueForUrl({ url: `${receiver.url}/by-url`, secret, eventId });
    const got = await waitFor('the URL delivery', () => receiver.received.find((r) => r.path === '/by-url'));
    assert.equal(got.headers['webhook-id'], eventId);
    assert.deepEqual(got.verifiedWith, [secret]);
    await waitFor('it to be recorded', async () => (await api(relay, `/v1/deliveries/${id}`)).body.status === 'succeeded');
    await assert.rejects(service.enqueueForUrl({ url: 'http://169.254.169.254/', secret, eventId }), /metadata/);
    await assert.rejects(service.enqueueForUrl({ url: `${receiver.url}/x`, secret: 'not-a-secret', eventId }), /secret/);
    const endpoint = await createEndpoint(relay, { url: `${receiver.url}/by-endpoint`, filter: { types: ['never'] } });
    await service.enqueueForEndpoint(endpoint.id, eventId);
    await waitFor('the endpoint delivery', () => receiver.received.find((r) => r.path === '/by-endpoint'));
  });
});
