import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { dropSchemas, newSchema, skipWithoutPostgres, testDatabaseUrl } from '../helpers/postgres.ts';
import { startRelay, type TestRelay } from '../helpers/relay.ts';
import { waitFor } from '../helpers/wait.ts';
import { Receiver } from './receiver.ts';
import { api, createEndpoint, deliveries, ingest, TEST_SOURCES } from './setup.ts';

const drivers = [
  { driver: 'lowdb' as const, skip: false as const },
  { driver: 'postgres' as const, skip: skipWithoutPostgres },
];

for (const { driver, skip } of drivers) {
  describe(`endpoints on the ${driver} store: pause, resume, flush, uid, metadata, delivery headers`, { skip }, () => {
    let relay: TestRelay;
    let receiver: Receiver;
    const schemas: string[] = [];
    before(async () => {
      const schema = newSchema();
      schemas.push(schema);
      relay = await startRelay({
        sources: TEST_SOURCES,
        driver,
        postgres: driver === 'postgres' ? { url: testDatabaseUrl as string, schema } : undefined,
        // A failed attempt waits an hour for the next one, so only a flush can send it sooner.
        sections: { delivery: { jitter: 0, scheduleSeconds: [0, 3600, 3600] } },
      });
      receiver = await new Receiver().start();
    });
    after(async () => {
      await relay.stop();
      await receiver.stop();
      await dropSchemas(schemas);
    });

    it('keeps deliveries pending while paused, uses no attempt, and sends them on resume with id and attempt headers', async () => {
      const paused = await createEndpoint(relay, { url: `${receiver.url}/paused`, filter: { types: ['pause.*'] } });
      // A second endpoint on the same events shows when the engine has had its go at them.
      await createEndpoint(relay, { url: `${receiver.url}/witness`, filter: { types: ['pause.*'] } });
      const pause = await api<{ paused: boolean }>(relay, `/v1/endpoints/${paused.id}/pause`, { method: 'POST' });
      assert.equal(pause.status, 200);
      assert.equal(pause.body.paused, true);
      const events = [await ingest(relay, { type: 'pause.one' }), await ingest(relay, { type: 'pause.two' })];
      await waitFor('the witness got both', () => receiver.received.filter((r) => r.path === '/witness').length === 2);
      const held = await waitFor('two pending deliveries', async () => {
        const rows = await deliveries(relay, paused.id);
        return rows.length === 2 ? rows : null;
      });
      assert.ok(held.every((d) => d.status === 'pending' && d.attempt_count === 0));
      assert.equal(receiver.received.filter((r) => r.path === '/paused').length, 0);

      const resumed = await api<{ paused: boolean }>(relay, `/v1/endpoints/${paused.id}/resume`, { method: 'POST' });
      assert.equal(resumed.body.paused, false);
      const got = await waitFor('both delivered after resume', () => {
        const rows = receiver.received.filter((r) => r.path === '/paused');
        return rows.length === 2 ? rows : null;
      });
      assert.deepEqual(got.map((r) => String(r.headers['webhook-id'])).sort(), [...events].sort());
      assert.deepEqual(got.map((r) => String(r.headers['x-hookrelay-delivery-id'])).sort(), held.map((d) => d.id).sort());
      assert.deepEqual(
        got.map((r) => r.headers['x-hookrelay-attempt']),
        ['1', '1'],
      );
    });

    it('flushes a pending delivery that waits for its retry: sent now, as attempt 2', async () => {
      let down = true;
      receiver.answer = (_i, req) => (req.path === '/flush' && down ? { status: 503 } : { status: 200 });
      const endpoint = await createEndpoint(relay, { url: `${receiver.url}/flush`, filter: { types: ['flush.*'] } });
      await ingest(relay, { type: 'flush.me' });
      const waiting = await waitFor('a failed first attempt', async () => {
        const [row] = await deliveries(relay, endpoint.id);
        return row?.attempt_count === 1 ? row : null;
      });
      assert.equal(waiting.status, 'pending');
      assert.ok(Date.parse(waiting.next_attempt_at as string) > Date.now() + 3000_000);
      down = false;
      const flushed = await api<{ flushed: number; delivery_ids: string[]; remaining: number }>(
        relay,
        `/v1/endpoints/${endpoint.id}/flush`,
        { method: 'POST' },
      );
      assert.equal(flushed.status, 202);
      assert.deepEqual(flushed.body.delivery_ids, [waiting.id]);
      assert.equal(flushed.body.remaining, 0);
      const done = await waitFor('delivered by the flush', async () => {
        const [row] = await deliveries(relay, endpoint.id);
        return row?.status === 'succeeded' ? row : null;
      });
      assert.equal(done.attempt_count, 2);
      const attempts = receiver.received.filter((r) => r.path === '/flush').map((r) => r.headers['x-hookrelay-attempt']);
      assert.deepEqual(attempts, ['1', '2']);
    });

    it('refuses to flush a paused or disabled endpoint, with a coded 409', async () => {
      const endpoint = await createEndpoint(relay, { url: `${receiver.url}/refuse`, paused: true });
      const paused = await api<{ error: { code: string } }>(relay, `/v1/endpoints/${endpoint.id}/flush`, { method: 'POST' });
      assert.equal(paused.status, 409);
      assert.equal(paused.body.error.code, 'endpoint_paused');
      await api(relay, `/v1/endpoints/${endpoint.id}`, { method: 'PATCH', body: { enabled: false, paused: false } });
      const disabled = await api<{ error: { code: string } }>(relay, `/v1/endpoints/${endpoint.id}/flush`, { method: 'POST' });
      assert.equal(disabled.body.error.code, 'endpoint_disabled');
      const missing = await api<{ error: { code: string } }>(relay, '/v1/endpoints/ep_nope/pause', { method: 'POST' });
      assert.equal(missing.status, 404);
    });

    it('gives a uid to one endpoint only: a second create answers 409 with the holder, found by ?uid=', async () => {
      const uid = `n8n:wf-${driver}:node-1`;
      const body = { url: `${receiver.url}/uid`, uid, metadata: { workflow: 'wf', created_by: 'n8n' } };
      const attempts = await Promise.all(
        [1, 2, 3].map(() => api<Record<string, unknown>>(relay, '/v1/endpoints', { method: 'POST', body })),
      );
      const created = attempts.filter((a) => a.status === 201);
      assert.equal(created.length, 1);
      const holder = created[0].body.id;
      for (const refused of attempts.filter((a) => a.status !== 201)) {
        assert.equal(refused.status, 409);
        assert.deepEqual(refused.body.error, {
          code: 'endpoint_uid_taken',
          message: `Endpoint ${holder} already has the uid "${uid}".`,
          endpoint_id: holder,
        });
      }
      const found = await api<{ data: Array<{ id: string; uid: string; metadata: unknown; paused: boolean }> }>(
        relay,
        `/v1/endpoints?uid=${encodeURIComponent(uid)}`,
      );
      assert.deepEqual(
        found.body.data.map((e) => [e.id, e.uid, e.metadata, e.paused]),
        [[holder, uid, body.metadata, false]],
      );
      const patchUid = await api<{ error: { code: string } }>(relay, `/v1/endpoints/${holder}`, {
        method: 'PATCH',
        body: { uid: 'other' },
      });
      assert.equal(patchUid.status, 400);
      await api(relay, `/v1/endpoints/${holder}`, { method: 'DELETE' });
      const again = await api<{ id: string }>(relay, '/v1/endpoints', { method: 'POST', body });
      assert.equal(again.status, 201, 'a deleted endpoint frees its uid');
      assert.notEqual(again.body.id, holder);
    });

    it('refuses bad uids and metadata larger than 4 KB, storing nothing', async () => {
      const before = (await api<{ data: unknown[] }>(relay, '/v1/endpoints')).body.data.length;
      for (const extra of [{ uid: 'has space' }, { uid: '' }, { metadata: [] }, { metadata: { blob: 'x'.repeat(4100) } }]) {
        const res = await api<{ error: { code: string } }>(relay, '/v1/endpoints', {
          method: 'POST',
          body: { url: `${receiver.url}/bad`, ...extra },
        });
        assert.equal(res.status, 400, JSON.stringify(extra).slice(0, 40));
        assert.equal(res.body.error.code, 'invalid_request');
      }
      assert.equal((await api<{ data: unknown[] }>(relay, '/v1/endpoints')).body.data.length, before);
    });

    it('refuses pause, resume and flush without a token (401) and with a subscriber token (403)', async () => {
      const endpoint = await createEndpoint(relay, { url: `${receiver.url}/auth` });
      const minted = await api<{ token: string }>(relay, '/v1/tokens', { method: 'POST', body: { name: 'reader' } });
      for (const action of ['pause', 'resume', 'flush']) {
        const url = `${relay.url}/v1/endpoints/${endpoint.id}/${action}`;
        const anonymous = await fetch(url, { method: 'POST' });
        assert.equal(anonymous.status, 401, action);
        const reader = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${minted.body.token}` } });
        assert.equal(reader.status, 403, action);
      }
      const after = await api<{ paused: boolean }>(relay, `/v1/endpoints/${endpoint.id}`);
      assert.equal(after.body.paused, false);
    });
  });
}
