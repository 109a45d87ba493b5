import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Database } from '../../server/store/postgres/database.ts';
import { PostgresTable } from '../../server/store/postgres/table.ts';
import type { Row, TableFactory } from '../../server/store/table.ts';
import { type RunRecord, TableRunStore, triggeredRunId } from '../../server/workflows/run-store.ts';
import { dropSchemas, newSchema, skipWithoutPostgres, testDatabaseUrl } from '../helpers/postgres.ts';
import { waitFor } from '../helpers/wait.ts';
import { runRecord } from '../workflows/helpers.ts';

const run = (id: string, status: RunRecord['status'], trigger: string | null): RunRecord =>
  runRecord({ id, status, trigger_event_id: trigger });

describe('workflow run stores of two instances on one PostgreSQL schema', { skip: skipWithoutPostgres }, () => {
  const schema = newSchema();
  const databases: Database[] = [];
  after(async () => {
    for (const db of databases) await db.close();
    await dropSchemas([schema]);
  });
  async function instance(): Promise<TableRunStore> {
    const db = new Database({ url: testDatabaseUrl ?? '', schema, maxConnections: 3 });
    databases.push(db);
    const tables: TableFactory = { table: <T extends Row>(name: string) => new PostgresTable<T>(db, name) };
    const store = new TableRunStore(tables);
    await store.open();
    return store;
  }

  it('makes a triggered run once when both insert it, and keeps both indexes in step', async () => {
    const [a, b] = [await instance(), await instance()];
    const id = triggeredRunId('w', 'evt_01jd0000000000000000');
    const inserted = await Promise.all([
      a.insertNew(run(id, 'queued', 'evt_01jd0000000000000000')),
      b.insertNew(run(id, 'queued', 'evt_01jd0000000000000000')),
    ]);
    assert.deepEqual(inserted.filter(Boolean).length, 1, 'exactly one insert wins');
    for (const store of [a, b]) await waitFor('the run on both instances', () => store.get(id));
    assert.equal(b.triggeredBy('w', 'evt_01jd0000000000000000'), id);

    // A legacy run (random id) written by A is found by B's trigger index, and unindexed when A prunes it.
    await a.save(run('run_legacy', 'succeeded', 'evt_legacy'));
    await waitFor('B to index the legacy run', () => b.triggeredBy('w', 'evt_legacy') === 'run_legacy');
    assert.deepEqual(
      b.unfinished().map((r) => r.id),
      [id],
    );
    assert.equal(await a.prune(0), 1);
    await waitFor('B to drop the pruned run', () => b.get('run_legacy') === undefined);
    assert.equal(b.triggeredBy('w', 'evt_legacy'), undefined);
  });

  it('gives a new leader the cursor the last one saved', async () => {
    const [a, b] = [await instance(), await instance()];
    await a.saveCursor('evt_01jd0000000000000001');
    await b.refreshCursor();
    assert.equal(b.cursor(), 'evt_01jd0000000000000001');
  });
});

describe('triggered run ids', () => {
  it('are the same for one (workflow, event) pair on every instance and sort by the event time', () => {
    const early = 'evt_01jd000000000000abcdef';
    const late = 'evt_01jd000001000000abcdef';
    assert.equal(triggeredRunId('w', early), triggeredRunId('w', early));
    assert.notEqual(triggeredRunId('w', early), triggeredRunId('other', early));
    assert.match(triggeredRunId('w', early), /^run_01jd000000[0-9a-hjkmnp-tv-z]{12}$/);
    assert.ok(triggeredRunId('w', early) < triggeredRunId('w', late));
  });
});
