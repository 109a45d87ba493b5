import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { signHeaders } from '../../server/ingest/signers.ts';
import { MIGRATIONS, migrate } from '../../server/store/postgres/migrations.ts';
import { dropSchemas, newSchema, queryTestDatabase, skipWithoutPostgres, testDatabaseUrl } from '../helpers/postgres.ts';
import { startSignedReceiver } from '../helpers/receivers.ts';
import { startRelay, type TestRelay } from '../helpers/relay.ts';
import { waitFor } from '../helpers/wait.ts';
import { startReceiver } from '../workflows/helpers.ts';

/** What a version-1 relay stored (see the file's `about`). */
interface VersionOne {
  sourceSecret: string;
  subscriberToken: string;
  endpointSecret: string;
  events: Array<Record<string, string | null> & { id: string; raw: string; payload: string }>;
  rows: Array<{ table_name: string; id: string; row: { id: string } & Record<string, unknown> }>;
}

const fixture = JSON.parse(await readFile(new URL('./fixtures/version-1.json', import.meta.url), 'utf8')) as VersionOne;

const WORKFLOW = `name: notify
on: { source: shop, type: order.paid }
steps:
  - id: post
    uses: http.request
    with: { method: POST, url: "{{ env.RECEIVER_URL }}/paid", json: { event: "{{ event.id }}" } }
`;

/** The rows as version 1 wrote them: its event INSERT and its relay_rows upsert, statement for statement. */
async function writeAsVersionOne(pool: pg.Pool): Promise<void> {
  for (const e of fixture.events) {
    await pool.query(
      `INSERT INTO events (id, source, type, received_at, provider_id, headers, payload, verified, raw, content_type, stored_by)
       VALUES ($1, $2, $3, $4, $5, $6::json, $7::json, $8::json, $9, $10, $11)`,
      [
        e.id,
        e.source,
        e.type,
        e.received_at,
        e.provider_id,
        e.headers,
        e.payload,
        e.verified,
        Buffer.from(e.raw, 'base64'),
        e.content_type,
        e.stored_by,
      ],
    );
  }
  for (const { table_name, row } of fixture.rows) {
    await pool.query(
      `INSERT INTO relay_rows (table_name, id, row)
       SELECT $1, r.value->>'id', r.value FROM jsonb_array_elements($2::jsonb) WITH ORDINALITY AS r(value, n) ORDER BY r.n
       ON CONFLICT (table_name, id) DO UPDATE SET row = EXCLUDED.row`,
      [table_name, JSON.stringify([row])],
    );
  }
}

describe('upgrading a PostgreSQL schema written by the previous version', { skip: skipWithoutPostgres }, () => {
  const schema = newSchema();
  let relay: TestRelay;
  let workflowsDir: string;
  let endpointReceiver: Awaited<ReturnType<typeof startSignedReceiver>>;
  let workflowReceiver: Awaited<ReturnType<typeof startReceiver>>;
  const endpoint = fixture.rows.find((r) => r.table_name === 'endpoints')?.row as { id: string };
  const get = async <T>(path: string, auth = relay.auth) => {
    const res = await fetch(`${relay.url}${path}`, { headers: auth });
    assert.equal(res.status, 200, `GET ${path}: ${await res.clone().text()}`);
    return (await res.json()) as T;
  };

  before(async () => {
    const pool = new pg.Pool({ connectionString: testDatabaseUrl, options: `-c search_path=${schema}`, max: 1 });
    try {
      await migrate(pool, schema, 1);
      await writeAsVersionOne(pool);
    } finally {
      await pool.end();
    }
    endpointReceiver = await startSignedReceiver();
    endpointReceiver.setSecret(fixture.endpointSecret);
    workflowReceiver = await startReceiver();
    process.env.RECEIVER_URL = workflowReceiver.url;
    workflowsDir = await mkdtemp(join(tmpdir(), 'hookrelay-upgrade-'));
    await writeFile(join(workflowsDir, 'notify.yaml'), WORKFLOW);
    relay = await startRelay({
      driver: 'postgres',
      postgres: { url: testDatabaseUrl ?? '', schema },
      sources: [{ name: 'shop', verify: { scheme: 'standard-webhooks', secrets: [fixture.sourceSecret] } }],
      // The fixture's rows keep the time they were written: nothing may be pruned for age here.
      retention: { maxAgeDays: 36_500 },
      sections: { workflows: { dir: workflowsDir, env: ['RECEIVER_URL'] }, delivery: { retentionDays: 36_500 } },
    });
  });
  after(async () => {
    await relay?.stop();
    await Promise.all([endpointReceiver?.close(), workflowReceiver?.close()]);
    if (workflowsDir) await rm(workflowsDir, { recursive: true, force: true });
    await dropSchemas([schema]);
  });

  it('applies every later migration on start-up', async () => {
    const rows = await queryTestDatabase<{ version: number }>(`SELECT version FROM ${schema}.schema_migrations ORDER BY version`);
    assert.deepEqual(
      rows.map((r) => r.version),
      MIGRATIONS.map((m) => m.version),
    );
  });

  it('serves the old events, raw bytes, token, endpoint, deliveries and run through the API', async () => {
    const events = await get<{ data: Array<{ id: string; payload: unknown; provider_id: string }> }>('/v1/events?source=shop');
    assert.deepEqual(
      events.data.map((e) => [e.id, e.provider_id, e.payload]),
      fixture.events.map((e) => [e.id, e.provider_id, JSON.parse(e.payload)]),
    );
    const raw = await fetch(`${relay.url}/v1/events/${fixture.events[1].id}/raw`, { headers: relay.auth });
    assert.deepEqual(Buffer.from(await raw.arrayBuffer()), Buffer.from(fixture.events[1].raw, 'base64'));
    // The subscriber token made by version 1 still reads its source.
    await get('/v1/events?source=shop', { authorization: `Bearer ${fixture.subscriberToken}` });

    const endpoints = await get<{ data: Array<{ id: string; description: string }> }>('/v1/endpoints');
    assert.deepEqual(
      endpoints.data.map((e) => [e.id, e.description]),
      [[endpoint.id, 'orders service']],
    );
    assert.equal((await get<{ secret: string }>(`/v1/endpoints/${endpoint.id}/secret`)).secret, fixture.endpointSecret);
    const deliveries = await get<{ data: Array<{ event_id: string; status: string; attempts: unknown[] }> }>(
      `/v1/endpoints/${endpoint.id}/deliveries`,
    );
    assert.deepEqual(deliveries.data.map((d) => d.event_id).sort(), fixture.events.map((e) => e.id).sort());
    assert.ok(deliveries.data.every((d) => d.status === 'succeeded' && d.attempts.length === 1));
    const runs = await get<{ data: Array<{ status: string; trigger_event_id: string }> }>('/v1/workflows/notify/runs');
    assert.deepEqual(
      runs.data.map((r) => [r.trigger_event_id, r.status]),
      [[fixture.events[1].id, 'succeeded']],
    );
  });

  it('keeps working: de-duplicates against old events, delivers and runs new ones, repeats nothing old', async () => {
    const patched = await fetch(`${relay.url}/v1/endpoints/${endpoint.id}`, {
      method: 'PATCH',
      headers: { ...relay.auth, 'content-type': 'application/json' },
      body: JSON.stringify({ url: `${endpointReceiver.url}/hook` }),
    });
    assert.equal(patched.status, 200, await patched.text());
    const ingest = async (messageId: string, payload: unknown) => {
      const body = JSON.stringify(payload);
      const headers = signHeaders({ verify: { scheme: 'standard-webhooks' }, secret: fixture.sourceSecret, body, id: messageId });
      const res = await fetch(`${relay.url}/hooks/shop`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body,
      });
      assert.equal(res.status, 200);
      return (await res.json()) as { id: string; duplicate: boolean };
    };
    assert.deepEqual(await ingest('msg_v1_1', { type: 'order.paid', order: 'ord_1', total: 1001 }), {
      id: fixture.events[1].id,
      duplicate: true,
    });
    const fresh = await ingest('msg_v2_0', { type: 'order.paid', order: 'ord_3', total: 1003 });
    assert.equal(fresh.duplicate, false);

    await waitFor('the new event at the endpoint, signed with the old secret', () =>
      endpointReceiver.receipts.some((r) => r.id === fresh.id && r.valid),
    );
    await waitFor("the new event's run", async () => {
      const runs = await get<{ data: Array<{ status: string; trigger_event_id: string }> }>('/v1/workflows/notify/runs');
      return runs.data.some((r) => r.trigger_event_id === fresh.id && r.status === 'succeeded');
    });
    assert.deepEqual(
      endpointReceiver.receipts.map((r) => r.id),
      [fresh.id],
      'an event delivered before the upgrade was delivered again',
    );
    assert.deepEqual(
      workflowReceiver.received.map((r) => r.json),
      [{ event: fresh.id }],
    );
  });
});
