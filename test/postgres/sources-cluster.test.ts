import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FakeClock } from '../helpers/fake-clock.ts';
import { dropSchemas, newSchema, queryTestDatabase, skipWithoutPostgres, testDatabaseUrl } from '../helpers/postgres.ts';
import { ADMIN_TOKEN, startRelay, type TestRelay } from '../helpers/relay.ts';
import { waitFor } from '../helpers/wait.ts';
import { call, type SourceAnswer, sendSigned } from '../sources/source-client.ts';

describe('sources made at runtime on two instances sharing one PostgreSQL database', { skip: skipWithoutPostgres }, () => {
  const schema = newSchema();
  // One moving clock for both instances, so an overlap can end without waiting for it.
  const clock = new FakeClock();
  const at = () => new Date(clock.now());
  let a: TestRelay;
  let b: TestRelay;
  let secret = '';
  const api = <T = Record<string, unknown>>(on: TestRelay, method: string, path: string, body?: unknown) =>
    call<T>(on.url, ADMIN_TOKEN, method, path, body);
  const hookOn = (relay: TestRelay) => `${relay.url}/hooks/orders`;

  before(async () => {
    const postgres = { url: testDatabaseUrl ?? '', schema };
    a = await startRelay({ driver: 'postgres', postgres, clock });
    b = await startRelay({ driver: 'postgres', postgres, clock });
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await dropSchemas([schema]);
  });

  it('accepts webhooks on the other instance for a source made on one, without a restart', async () => {
    const created = await api<SourceAnswer>(a, 'POST', '/v1/sources', {
      name: 'orders',
      verify: { scheme: 'standard-webhooks' },
    });
    assert.equal(created.status, 201);
    secret = created.body.verify.secrets?.[0] ?? '';
    await waitFor('B to know the source', async () => (await api(b, 'GET', '/v1/sources/orders')).status === 200);
    const onB = await sendSigned(hookOn(b), secret, { type: 'order.created' }, at());
    assert.equal(onB.status, 200, JSON.stringify(onB.body));
    const onA = await sendSigned(hookOn(a), secret, { type: 'order.paid' }, at());
    assert.equal(onA.status, 200);
    const [row] = await queryTestDatabase<{ row: { secrets: Array<{ secret: string }> } }>(
      `SELECT row FROM ${schema}.relay_rows WHERE table_name = 'sources' AND id = 'orders'`,
    );
    assert.equal(row.row.secrets[0].secret, secret);
  });

  it('shows the same last-hour counts on both instances, and refuses a second creation of the name on the other', async () => {
    await sendSigned(hookOn(b), `whsec_${Buffer.from('wrong secret').toString('base64')}`, { type: 'x' }, at());
    // The rejection log is written after the 401 goes out: wait for it, then both must agree.
    const expected = JSON.stringify({ window_seconds: 3600, accepted: 2, rejected: 1 });
    const countsOn = async (relay: TestRelay) =>
      JSON.stringify((await api<SourceAnswer>(relay, 'GET', '/v1/sources/orders')).body.counts);
    await waitFor('A to count the refusal', async () => (await countsOn(a)) === expected);
    assert.equal(await countsOn(b), expected);
    const again = await api<{ error: { code: string } }>(b, 'POST', '/v1/sources', {
      name: 'orders',
      verify: { scheme: 'github' },
    });
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'source_exists');
  });

  it('verifies old and new secrets on the other instance during the overlap, and only the new one after it', async () => {
    const rotated = await api<SourceAnswer>(a, 'POST', '/v1/sources/orders/rotate-secret', { overlap_seconds: 600 });
    const fresh = rotated.body.verify.secrets?.[0] ?? '';
    await waitFor(
      'B to know the rotation',
      async () => (await api<SourceAnswer>(b, 'GET', '/v1/sources/orders')).body.previous_secrets?.length === 1,
    );
    assert.equal((await sendSigned(hookOn(b), secret, { type: 'old.during' }, at())).status, 200);
    assert.equal((await sendSigned(hookOn(b), fresh, { type: 'new.during' }, at())).status, 200);
    clock.advance(600_000);
    for (const relay of [a, b]) {
      const old = await sendSigned(hookOn(relay), secret, { type: 'old.after' }, at());
      assert.equal(old.status, 401);
      assert.equal(old.body.error?.code, 'signature_invalid');
      assert.equal((await sendSigned(hookOn(relay), fresh, { type: 'new.after' }, at())).status, 200);
    }
    secret = fresh;
  });

  it('answers 404 source_not_found on the other instance once the source is deleted, and keeps its events', async () => {
    assert.equal((await api(b, 'DELETE', '/v1/sources/orders')).status, 200);
    await waitFor('A to forget the source', async () => (await api(a, 'GET', '/v1/sources/orders')).status === 404);
    const sent = await sendSigned(hookOn(a), secret, { type: 'too.late' }, at());
    assert.equal(sent.status, 404);
    assert.equal(sent.body.error?.code, 'source_not_found');
    const events = await api<{ data: Array<{ type: string }> }>(a, 'GET', '/v1/events?source=orders');
    // Both instances stamp ids with the one stopped clock, so ids made on different instances in one
    // millisecond do not sort by arrival: compare the events kept, not their order.
    assert.deepEqual(events.body.data.map((e) => e.type).sort(), [
      'new.after',
      'new.after',
      'new.during',
      'old.during',
      'order.created',
      'order.paid',
    ]);
  });
});
