import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { BLOB_CHUNK_BYTES, postgresBlobStore } from '../../server/store/postgres/blob-store.ts';
import { Database } from '../../server/store/postgres/database.ts';
import { dropSchemas, newSchema, queryTestDatabase, skipWithoutPostgres, testDatabaseUrl } from '../helpers/postgres.ts';
import { blobStoreContract } from '../store/blob-store.contract.ts';

// The BlobStore contract against PostgreSQL's relay_blobs, each case on its own schema.
const schemas: string[] = [];
const databases: Database[] = [];
after(async () => {
  for (const db of databases) await db.close();
  await dropSchemas(schemas);
});

async function database(schema: string): Promise<Database> {
  const db = new Database({ url: testDatabaseUrl ?? '', schema, maxConnections: 2 });
  databases.push(db);
  await db.open();
  return db;
}

if (skipWithoutPostgres) {
  describe('PostgreSQL blob store', () => {
    it('runs the BlobStore contract against PostgreSQL', { skip: skipWithoutPostgres }, () => {});
  });
} else {
  blobStoreContract('postgresBlobStore', async () => {
    const schema = newSchema();
    schemas.push(schema);
    const [db, otherDb] = [await database(schema), await database(schema)];
    return { blobs: postgresBlobStore(db), other: () => postgresBlobStore(otherDb) };
  });

  describe('postgresBlobStore rows', () => {
    it('keeps a file as rows of at most one chunk each, plus its head', async () => {
      const schema = newSchema();
      schemas.push(schema);
      const blobs = postgresBlobStore(await database(schema));
      const size = 2 * BLOB_CHUNK_BYTES + 3;
      await blobs.write('file_rows', Buffer.alloc(size, 7));
      const rows = await queryTestDatabase<{ id: string; bytes: number }>(
        `SELECT id, octet_length(data) AS bytes FROM ${schema}.relay_blobs ORDER BY id`,
      );
      assert.deepEqual(rows, [
        { id: 'file_rows', bytes: 1 },
        { id: 'file_rows#0', bytes: BLOB_CHUNK_BYTES },
        { id: 'file_rows#1', bytes: BLOB_CHUNK_BYTES },
        { id: 'file_rows#2', bytes: 3 },
      ]);
    });
  });
}
