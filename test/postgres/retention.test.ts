import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { Database } from '../../server/store/postgres/database.ts';
import { PostgresEventStore } from '../../server/store/postgres/event-store.ts';
import { RETENTION_BATCH } from '../../server/store/postgres/retention.ts';
import { dropSchemas, newSchema, queryTestDatabase, skipWithoutPostgres, testDatabaseUrl } from '../helpers/postgres.ts';
import { waitFor } from '../helpers/wait.ts';
import { newEvent } from '../store/event-store.contract.ts';

describe('PostgreSQL retention', { skip: skipWithoutPostgres }, () => {
  const schemas: string[] = [];
  const stores: PostgresEventStore[] = [];
  after(async () => {
    for (const store of stores) await store.close();
    await dropSchemas(schemas);
  });

  /** A store whose schema already holds `expired` events from long ago (ids that sort before any new one). */
  async function storeWithBacklog(expired: number): Promise<{ store: PostgresEventStore; schema: string }> {
    const schema = newSchema();
    schemas.push(schema);
    const db = new Database({ url: testDatabaseUrl ?? '', schema, maxConnections: 4 });
    await db.open();
    await db.query(
      `INSERT INTO events (id, source, type, received_at, headers, payload, verified, raw, content_type)
       SELECT 'evt_' || lpad(i::text, 22, '0'), 'old', 'old', '2000-01-01', '{}', 'null', '{"scheme":"none"}', '', 'text/plain'
       FROM generate_series(1, $1) AS i`,
      [expired],
    );
    const store = new PostgresEventStore({ db, retention: { maxEvents: 100_000, maxAgeDays: 7 } });
    stores.push(store);
    return { store, schema };
  }

  it('deletes a backlog of several batches until none is left', async () => {
    const { store, schema } = await storeWithBacklog(RETENTION_BATCH * 2 + 500);
    await store.open(); // opening asks for a sweep
    assert.equal(await store.count(), 0);
    const left = await queryTestDatabase<{ n: string }>(`SELECT count(*) AS n FROM ${schema}.events`);
    assert.equal(left[0].n, '0');
  });

  it('keeps taking events while a sweep waits on a row another transaction holds', async (t) => {
    const { store, schema } = await storeWithBacklog(10);
    const holder = new pg.Client({ connectionString: testDatabaseUrl });
    await holder.connect();
    t.after(() => holder.end());
    const holderPid = (await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
    await holder.query('BEGIN');
    await holder.query(`SELECT id FROM ${schema}.events ORDER BY id LIMIT 1 FOR UPDATE`);
    await store.open();
    // The sweep's DELETE is now stuck behind the held row lock...
    await waitFor('the sweep to wait on the row lock', async () => {
      const rows = await queryTestDatabase(
        `SELECT 1 FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid)) AND query LIKE 'DELETE FROM events%'`,
        [holderPid],
      );
      return rows.length === 1;
    });
    // ...and ingest still goes on: retention locks only the rows it deletes, never the table.
    const appended = await Promise.all(Array.from({ length: 5 }, () => store.append(newEvent())));
    assert.equal(appended.filter((r) => !r.duplicate).length, 5);
    await holder.query('COMMIT');
    assert.equal(await store.count(), 5);
    const left = await queryTestDatabase<{ n: string }>(`SELECT count(*) AS n FROM ${schema}.events`);
    assert.equal(left[0].n, '5');
  });
});
