import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { TestRelay } from '../helpers/relay.ts';
import { waitFor } from '../helpers/wait.ts';
import { FakeClock } from '../helpers/fake-clock.ts';
import { Receiver } from './receiver.ts';
import { createEndpoint, deliveries, deliveryRelay, ingest } from './setup.ts';

describe('per-endpoint concurrency, rate limit and ordering', () => {
  let relay: TestRelay;
  let receiver: Receiver;
  let clock: FakeClock;
  beforeEach(async () => {
    clock = new FakeClock();
    relay = await deliveryRelay({ clock, delivery: { jitter: 0, scheduleSeconds: [0, 10, 10] } });
    receiver = await new Receiver().start();
  });
  afterEach(async () => {
    receiver.answer = () => ({ status: 200 });
    receiver.release(); // nothing left hanging for the relay's shutdown grace to wait on
    await relay.stop();
    await receiver.stop();
  });

  /** Deliveries that have started: sent at least once or in flight now. */
  const started = async (endpointId: string) =>
    (await deliveries(relay, endpointId)).filter((d) => d.attempt_count > 0 || (d as unknown as { sending: boolean }).sending)
      .length;

  it('never has more requests in flight to an endpoint than its concurrency', async () => {
    receiver.answer = () => 'hang';
    const endpoint = await createEndpoint(relay, { url: receiver.url, concurrency: 3 });
    for (let i = 0; i < 10; i++) await ingest(relay, { type: 'c', i });
    await waitFor('three requests', () => receiver.received.length === 3);
    assert.equal(await started(endpoint.id), 3, 'the other seven wait in the queue');
    for (let round = 0; round < 10 && receiver.received.length < 10; round++) {
      const seen = receiver.received.length;
      receiver.release();
      await waitFor('the next requests', () => receiver.received.length > seen);
    }
    receiver.release();
    await waitFor('all ten delivered', async () => (await deliveries(relay, endpoint.id)).every((d) => d.status === 'succeeded'));
    assert.equal(receiver.maxInFlight, 3);
  });

  it('keeps delivering to other endpoints while one endpoint hangs', async () => {
    receiver.answer = (_i, req) => (req.path === '/stuck' ? 'hang' : { status: 200 });
    const stuck = await createEndpoint(relay, { url: `${receiver.url}/stuck`, concurrency: 2 });
    const healthy = await createEndpoint(relay, { url: `${receiver.url}/ok`, concurrency: 2 });
    for (let i = 0; i < 20; i++) await ingest(relay, { type: 'x', i });
    await waitFor(
      'all twenty at the healthy endpoint',
      async () => (await deliveries(relay, healthy.id)).filter((d) => d.status === 'succeeded').length === 20,
    );
    assert.equal(receiver.received.filter((r) => r.path === '/stuck').length, 2);
    assert.equal(await started(stuck.id), 2);
  });

  it('sends no faster than the rate limit', async () => {
    const endpoint = await createEndpoint(relay, { url: receiver.url, rate_limit: 2 });
    for (let i = 0; i < 4; i++) await ingest(relay, { type: 'r', i });
    await waitFor('the first delivery', () => receiver.received.length === 1);
    assert.equal(await started(endpoint.id), 1);
    clock.advance(499);
    assert.equal(await started(endpoint.id), 1, 'not before 500 ms');
    clock.advance(1);
    await waitFor('the second delivery', () => receiver.received.length === 2);
    clock.advance(500);
    await waitFor('the third delivery', () => receiver.received.length === 3);
    assert.equal(await started(endpoint.id), 3);
    clock.advance(500);
    await waitFor('the fourth delivery', () => receiver.received.length === 4);
  });

  it('delivers an ordered endpoint one at a time in event order, holding later events behind a retry', async () => {
    receiver.answer = (i) => (i === 0 ? { status: 500 } : { status: 200 });
    const endpoint = await createEndpoint(relay, { url: receiver.url, ordered: true, concurrency: 5 });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(await ingest(relay, { type: 'o', i }));
    await waitFor('the first failure', async () => (await deliveries(relay, endpoint.id)).some((d) => d.attempt_count === 1));
    assert.equal(await started(endpoint.id), 1, 'later events wait behind the failed head');
    clock.advance(10_000);
    await waitFor('all delivered', async () => (await deliveries(relay, endpoint.id)).every((d) => d.status === 'succeeded'));
    assert.deepEqual(receiver.ids(), [ids[0], ids[0], ids[1], ids[2]]);
    assert.equal(receiver.maxInFlight, 1);
  });

  it('reports queue depth and how long the oldest due delivery has waited on /metrics', async () => {
    receiver.answer = () => 'hang';
    await createEndpoint(relay, { url: receiver.url, concurrency: 1 });
    for (let i = 0; i < 3; i++) await ingest(relay, { type: 'm', i });
    await waitFor('the first request', () => receiver.received.length === 1);
    const metricsText = async () => (await fetch(`${relay.url}/metrics`)).text();
    // Fan-out creates deliveries after the bus publishes, so wait for all three to be queued.
    await waitFor('three deliveries queued', async () => /^hookrelay_delivery_queue_depth 3$/m.test(await metricsText()));
    clock.advance(10_000);
    const metrics = await metricsText();
    assert.match(metrics, /^hookrelay_delivery_queue_depth 3$/m);
    assert.match(metrics, /^hookrelay_delivery_in_flight 1$/m);
    assert.match(metrics, /^hookrelay_delivery_oldest_due_seconds 10$/m);
  });

  it('keeps queued deliveries when an endpoint is switched to ordered', async () => {
    receiver.answer = (i) => (i === 0 ? 'hang' : { status: 200 });
    const endpoint = await createEndpoint(relay, { url: receiver.url, concurrency: 1 });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(await ingest(relay, { type: 'switch', i }));
    await waitFor('the first request', () => receiver.received.length === 1);
    const patched = await fetch(`${relay.url}/v1/endpoints/${endpoint.id}`, {
      method: 'PATCH',
      headers: { ...relay.auth, 'content-type': 'application/json' },
      body: JSON.stringify({ ordered: true }),
    });
    assert.equal(patched.status, 200);
    receiver.release();
    await waitFor('all delivered', async () => {
      const listed = await deliveries(relay, endpoint.id);
      return listed.length === ids.length && listed.every((d) => d.status === 'succeeded');
    });
    assert.deepEqual(receiver.ids(), ids);
  });
});
