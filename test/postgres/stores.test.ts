import { after, describe, it } from 'node:test';
import { Database } from '../../server/store/postgres/database.ts';
import { PostgresEventStore } from '../../server/store/postgres/event-store.ts';
import { PostgresTable } from '../../server/store/postgres/table.ts';
import { dropSchemas, newSchema, skipWithoutPostgres, testDatabaseUrl } from '../helpers/postgres.ts';
import { eventStoreContract, type StoreSetup } from '../store/event-store.contract.ts';
import { type Item, tableContract } from '../store/table.contract.ts';

// The same contract suites as the memory and lowdb stores, against a real PostgreSQL server; each
// case gets its own schema, so runs never see each other's rows.
const DEFAULT_RETENTION = { maxEvents: 100_000, maxAgeDays: 7 };
const schemas: string[] = [];
const databases: Database[] = [];
after(async () => {
  for (const db of databases) await db.close();
  await dropSchemas(schemas);
});

function database(schema: string): Database {
  const db = new Database({ url: testDatabaseUrl ?? '', schema, maxConnections: 4 });
  databases.push(db);
  return db;
}

if (skipWithoutPostgres) {
  describe('PostgreSQL stores', () => {
    it('run the store contracts against PostgreSQL', { skip: skipWithoutPostgres }, () => {});
  });
} else {
  eventStoreContract('PostgresEventStore', async (setup: StoreSetup) => {
    const schema = newSchema();
    schemas.push(schema);
    const make = async () => {
      const store = new PostgresEventStore({ db: database(schema), retention: DEFAULT_RETENTION, ...setup });
      await store.open();
      return store;
    };
    const store = await make();
    return {
      store,
      async reopen() {
        await store.close();
        return make();
      },
    };
  });

  tableContract('PostgresTable', async () => {
    const schema = newSchema();
    schemas.push(schema);
    const table = new PostgresTable<Item>(database(schema), 'items');
    return {
      table,
      async reopen() {
        await table.close();
        const next = new PostgresTable<Item>(database(schema), 'items');
        await next.open();
        return next;
      },
    };
  });
}
