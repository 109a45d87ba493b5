import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Database } from '../../server/store/postgres/database.ts';
import { MIGRATIONS } from '../../server/store/postgres/migrations.ts';
import { dropSchemas, newSchema, queryTestDatabase, skipWithoutPostgres, testDatabaseUrl } from '../helpers/postgres.ts';

describe('PostgreSQL migrations', { skip: skipWithoutPostgres }, () => {
  const schemas: string[] = [];
  const databases: Database[] = [];
  after(async () => {
    for (const db of databases) await db.close();
    await dropSchemas(schemas);
  });
  function open(schema: string): Promise<void> {
    const db = new Database({ url: testDatabaseUrl ?? '', schema, maxConnections: 2 });
    databases.push(db);
    return db.open();
  }
  const applied = (schema: string) =>
    queryTestDatabase<{ version: number; applied_at: Date }>(
      `SELECT version, applied_at FROM ${schema}.schema_migrations ORDER BY version`,
    );

  it('builds every table from an empty schema and records each version', async () => {
    const schema = newSchema();
    schemas.push(schema);
    await open(schema);
    assert.deepEqual(
      (await applied(schema)).map((r) => r.version),
      MIGRATIONS.map((m) => m.version),
    );
    const tables = await queryTestDatabase<{ table_name: string }>(
      'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name',
      [schema],
    );
    assert.deepEqual(
      tables.map((t) => t.table_name),
      ['events', 'rejections', 'relay_blobs', 'relay_claims', 'relay_instances', 'relay_rows', 'schema_migrations'],
    );
  });

  it('does nothing when run again on a migrated schema', async () => {
    const schema = newSchema();
    schemas.push(schema);
    await open(schema);
    const before = await applied(schema);
    await queryTestDatabase(`INSERT INTO ${schema}.relay_rows (table_name, id, row) VALUES ('t', 'kept', '{"id":"kept"}')`);
    await open(schema);
    assert.deepEqual(await applied(schema), before);
    const kept = await queryTestDatabase(`SELECT id FROM ${schema}.relay_rows`);
    assert.equal(kept.length, 1);
  });

  it('applies each version once when several instances start on an empty schema at the same moment', async () => {
    const schema = newSchema();
    schemas.push(schema);
    await Promise.all(Array.from({ length: 4 }, () => open(schema)));
    assert.deepEqual(
      (await applied(schema)).map((r) => r.version),
      MIGRATIONS.map((m) => m.version),
    );
  });
});
