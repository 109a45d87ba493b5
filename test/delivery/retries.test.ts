import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { TestRelay } from '../helpers/relay.ts';
import { waitFor } from '../helpers/wait.ts';
import { FakeClock } from '../helpers/fake-clock.ts';
import { Receiver } from './receiver.ts';
import { api, createEndpoint, type DeliveryJson, deliveries, deliveryRelay, ingest } from './setup.ts';

const SECOND = 1000;
const MINUTE = 60 * SECOND;

describe('retries on the injected clock', () => {
  let relay: TestRelay;
  let receiver: Receiver;
  let clock: FakeClock;
  const start = async (delivery: Record<string, unknown> = {}) => {
    relay = await deliveryRelay({ clock, delivery: { jitter: 0, ...delivery } });
  };
  beforeEach(async () => {
    clock = new FakeClock();
    receiver = await new Receiver().start();
  });
  afterEach(async () => {
    receiver.answer = () => ({ status: 200 });
    receiver.release(); // nothing left hanging for the relay's shutdown grace to wait on
    await relay.stop();
    await receiver.stop();
  });

  /** Waits until the endpoint's only delivery satisfies the check. */
  const delivery = (endpointId: string, what: string, check: (d: DeliveryJson) => boolean) =>
    waitFor(what, async () => {
      const [d] = await deliveries(relay, endpointId);
      return d && check(d) ? d : null;
    });

  it('retries a flapping receiver on the schedule with a stable webhook-id and fresh signatures', async () => {
    await start();
    receiver.answer = (i) => (i < 3 ? { status: 500, body: `down ${i}` } : { status: 200 });
    const endpoint = await createEndpoint(relay, { url: receiver.url });
    receiver.secrets = [endpoint.secret];
    const eventId = await ingest(relay, { type: 'a' });
    let d = await delivery(endpoint.id, 'the first failure', (x) => x.attempt_count === 1);
    assert.equal(d.status, 'pending');
    assert.equal(Date.parse(d.next_attempt_at as string) - clock.now(), 5 * SECOND);
    assert.equal(d.attempts[0].response_body, 'down 0');
    clock.advance(5 * SECOND);
    d = await delivery(endpoint.id, 'the second failure', (x) => x.attempt_count === 2);
    assert.equal(Date.parse(d.next_attempt_at as string) - clock.now(), 5 * MINUTE);
    clock.advance(5 * MINUTE - 1);
    assert.equal(receiver.received.length, 2, 'nothing is sent before the due time');
    clock.advance(1);
    d = await delivery(endpoint.id, 'the third failure', (x) => x.attempt_count === 3);
    clock.advance(30 * MINUTE);
    d = await delivery(endpoint.id, 'success', (x) => x.status === 'succeeded');
    assert.equal(d.attempt_count, 4);
    assert.deepEqual(receiver.ids(), [eventId, eventId, eventId, eventId]);
    const stamps = receiver.received.map((r) => Number(r.headers['webhook-timestamp']));
    assert.equal(new Set(stamps).size, 4, 'each attempt has its own timestamp');
    assert.ok(receiver.received.every((r) => r.verifiedWith.length === 1));
  });

  it('honours Retry-After on 429 and 503 within the scheduled delay and twice it, and waits 60 s after a 429', async () => {
    await start({ scheduleSeconds: [0, 5, 5, 5] });
    receiver.answer = (i) =>
      i === 0
        ? { status: 429, headers: { 'retry-after': '3600' } }
        : i === 1
          ? { status: 503, headers: { 'retry-after': '7' } }
          : { status: 200 };
    const endpoint = await createEndpoint(relay, { url: receiver.url });
    await ingest(relay, { type: 'a' });
    const first = await delivery(endpoint.id, 'the 429', (x) => x.attempt_count === 1);
    assert.equal(Date.parse(first.next_attempt_at as string) - clock.now(), 120 * SECOND, '3600 s clamped to 2 x max(5 s, 60 s)');
    clock.advance(120 * SECOND);
    const second = await delivery(endpoint.id, 'the 503', (x) => x.attempt_count === 2);
    assert.equal(Date.parse(second.next_attempt_at as string) - clock.now(), 7 * SECOND, '7 s lies within 5..10 s');
    clock.advance(7 * SECOND);
    await delivery(endpoint.id, 'success', (x) => x.status === 'succeeded');
  });

  it('disables the endpoint at once on 410 Gone and emits endpoint.disabled', async () => {
    await start();
    receiver.answer = () => ({ status: 410 });
    const endpoint = await createEndpoint(relay, { url: receiver.url, filter: { sources: ['dev'] } });
    await ingest(relay, { type: 'a' });
    const d = await delivery(endpoint.id, 'the failed delivery', (x) => x.status === 'failed');
    assert.equal(d.attempt_count, 1);
    const shown = await api(relay, `/v1/endpoints/${endpoint.id}`);
    assert.equal(shown.body.enabled, false);
    assert.match(String(shown.body.disabled_reason), /410/);
    const events = await waitFor('the endpoint.disabled event', async () => {
      const list = await api<{ data: Array<{ payload: { endpoint_id: string } }> }>(
        relay,
        '/v1/events?source=hookrelay&type=endpoint.disabled',
      );
      return list.body.data.length > 0 ? list.body.data : null;
    });
    assert.equal(events[0].payload.endpoint_id, endpoint.id);
    await ingest(relay, { type: 'b' });
    assert.equal((await deliveries(relay, endpoint.id)).length, 1, 'a disabled endpoint gets no new deliveries');
    const retry = await api<{ error: { code: string } }>(relay, `/v1/deliveries/${d.id}/retry`, { method: 'POST' });
    assert.equal(retry.body.error.code, 'endpoint_disabled');
  });

  it('times out a receiver that does not answer and waits at least 60 s before the next attempt', async () => {
    await start({ timeoutMs: 2000 });
    receiver.answer = (i) => (i === 0 ? 'hang' : { status: 200 });
    const endpoint = await createEndpoint(relay, { url: receiver.url });
    await ingest(relay, { type: 'a' });
    await waitFor('the request', () => receiver.received.length === 1);
    clock.advance(2000);
    const d = await delivery(endpoint.id, 'the timeout', (x) => x.attempt_count === 1);
    assert.match(d.attempts[0].error as string, /timed out after 2000 ms/);
    assert.equal(Date.parse(d.next_attempt_at as string) - clock.now(), 60 * SECOND);
    clock.advance(60 * SECOND);
    await delivery(endpoint.id, 'success', (x) => x.status === 'succeeded');
  });

  it('treats a redirect as a failure and does not follow it', async () => {
    await start();
    receiver.answer = (i, req) =>
      req.path === '/moved' ? { status: 200 } : { status: i === 0 ? 302 : 200, headers: { location: '/moved' } };
    const endpoint = await createEndpoint(relay, { url: `${receiver.url}/old` });
    await ingest(relay, { type: 'a' });
    const d = await delivery(endpoint.id, 'the redirect failure', (x) => x.attempt_count === 1);
    assert.equal(d.status, 'pending');
    assert.equal(d.attempts[0].status_code, 302);
    assert.match(d.last_error as string, /redirect/);
    assert.deepEqual(
      receiver.received.map((r) => r.path),
      ['/old'],
    );
  });

  it('fails the delivery after the last attempt and keeps it visible', async () => {
    await start({ scheduleSeconds: [0, 1, 1] });
    receiver.answer = () => ({ status: 500 });
    const endpoint = await createEndpoint(relay, { url: receiver.url });
    await ingest(relay, { type: 'a' });
    await delivery(endpoint.id, 'attempt 1', (x) => x.attempt_count === 1);
    clock.advance(SECOND);
    await delivery(endpoint.id, 'attempt 2', (x) => x.attempt_count === 2);
    clock.advance(SECOND);
    const d = await delivery(endpoint.id, 'the dead delivery', (x) => x.status === 'failed');
    assert.equal(d.attempt_count, 3);
    assert.equal(d.next_attempt_at, null);
    clock.advance(60 * MINUTE);
    assert.equal(receiver.received.length, 3);
    assert.equal((await api(relay, `/v1/deliveries/${d.id}`)).body.status, 'failed');
  });

  it('stops retrying on webhook-delivery: abort-message and disables on webhook-delivery: disable', async () => {
    await start();
    receiver.answer = (_i, req) => ({
      status: 500,
      headers: { 'webhook-delivery': req.path === '/abort' ? 'abort-message' : 'disable' },
    });
    const abort = await createEndpoint(relay, { url: `${receiver.url}/abort` });
    const disable = await createEndpoint(relay, { url: `${receiver.url}/disable` });
    await ingest(relay, { type: 'a' });
    const aborted = await delivery(abort.id, 'the aborted delivery', (x) => x.status === 'failed');
    assert.equal(aborted.attempt_count, 1);
    assert.equal((await api(relay, `/v1/endpoints/${abort.id}`)).body.enabled, true);
    await delivery(disable.id, 'the failed delivery', (x) => x.status === 'failed');
    assert.equal((await api(relay, `/v1/endpoints/${disable.id}`)).body.enabled, false);
  });

  it('disables an endpoint that has failed continuously for disableAfterHours', async () => {
    await start({ scheduleSeconds: [0, 1800, 1800, 1800], disableAfterHours: 1 });
    receiver.answer = () => ({ status: 500 });
    const endpoint = await createEndpoint(relay, { url: receiver.url });
    await ingest(relay, { type: 'a' });
    await delivery(endpoint.id, 'attempt 1', (x) => x.attempt_count === 1);
    clock.advance(30 * MINUTE);
    await delivery(endpoint.id, 'attempt 2', (x) => x.attempt_count === 2);
    assert.equal((await api(relay, `/v1/endpoints/${endpoint.id}`)).body.enabled, true);
    clock.advance(30 * MINUTE);
    await delivery(endpoint.id, 'attempt 3', (x) => x.attempt_count === 3);
    const shown = await waitFor('the endpoint to be disabled', async () => {
      const res = await api(relay, `/v1/endpoints/${endpoint.id}`);
      return res.body.enabled === false ? res.body : null;
    });
    assert.match(String(shown.disabled_reason), /failing continuously for 1 h/);
  });
});
