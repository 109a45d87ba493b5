import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Database } from '../../server/store/postgres/database.ts';
import { PostgresEventStore } from '../../server/store/postgres/event-store.ts';
import { PostgresTable } from '../../server/store/postgres/table.ts';
import { dropSchemas, newSchema, queryTestDatabase, skipWithoutPostgres, testDatabaseUrl } from '../helpers/postgres.ts';
import { waitFor } from '../helpers/wait.ts';
import { eventStoreContract, newEvent, type StoreSetup } from '../store/event-store.contract.ts';
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

  tableContract(
    'PostgresTable',
    async () => {
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
        peer: async () => new PostgresTable<Item>(database(schema), 'items'),
        // The database itself refuses every change to the rows, as it would on a full disk.
        async failWrites() {
          await queryTestDatabase(
            `CREATE FUNCTION ${schema}.refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'disk full'; END $$;
             CREATE TRIGGER refuse BEFORE INSERT OR UPDATE OR DELETE ON ${schema}.relay_rows FOR EACH ROW EXECUTE FUNCTION ${schema}.refuse()`,
          );
          return async () => {
            await queryTestDatabase(`DROP TRIGGER refuse ON ${schema}.relay_rows`);
          };
        },
      };
    },
    true,
  );
}

describe('PostgresEventStore specifics', { skip: skipWithoutPostgres }, () => {
  async function store(): Promise<PostgresEventStore> {
    const schema = newSchema();
    schemas.push(schema);
    const events = new PostgresEventStore({ db: database(schema), retention: DEFAULT_RETENTION });
    await events.open();
    return events;
  }

  it('stores concurrent appends with fewer INSERT statements than events (group commit)', async () => {
    const schema = newSchema();
    schemas.push(schema);
    const db = database(schema);
    const events = new PostgresEventStore({ db, retention: DEFAULT_RETENTION });
    await events.open();
    let inserts = 0;
    const query = db.query.bind(db);
    db.query = ((text: string, values?: unknown[]) => {
      if (text.includes('INSERT INTO events')) inserts++;
      return query(text, values);
    }) as typeof db.query;
    const results = await Promise.all(Array.from({ length: 50 }, () => events.append(newEvent())));
    assert.equal(results.filter((r) => !r.duplicate).length, 50);
    assert.equal(await events.count(), 50);
    assert.ok(inserts < 50 && inserts >= 1, `${inserts} INSERT statements for 50 events`);
  });

  it('announces a new event by id alone while no other instance is live, and carries it when one is', async (t) => {
    const schema = newSchema();
    schemas.push(schema);
    const db = database(schema);
    const events = new PostgresEventStore({ db, retention: DEFAULT_RETENTION });
    await events.open();
    const notices: string[] = [];
    const listener = db.client();
    await listener.connect();
    t.after(() => listener.end());
    listener.on('notification', (message) => notices.push(message.payload ?? ''));
    await listener.query(`LISTEN "${db.channel}"`);
    db.otherInstances = 0;
    const alone = await events.append(newEvent());
    db.otherInstances = 1;
    const shared = await events.append(newEvent());
    await waitFor('both notices', () => notices.length === 2);
    assert.equal(notices[0], `${events.instance} ${alone.event.id}`);
    assert.ok(notices[1].startsWith(`${events.instance} ${shared.event.id} `), notices[1]);
    assert.deepEqual(JSON.parse(notices[1].slice(notices[1].indexOf('{'))), await events.get(shared.event.id));
  });

  it('reads the body of an event it stored a moment ago without asking the database, and the others from the table', async () => {
    const schema = newSchema();
    schemas.push(schema);
    const db = database(schema);
    const events = new PostgresEventStore({ db, retention: DEFAULT_RETENTION });
    await events.open();
    const { event } = await events.append(newEvent({ raw: Buffer.from('{"fresh":true}') }));
    const reads: string[] = [];
    const query = db.query.bind(db);
    db.query = ((text: string, values?: unknown[]) => {
      if (text.includes('SELECT id, raw')) reads.push(text);
      return query(text, values);
    }) as typeof db.query;
    const fresh = await events.getRaw(event.id);
    assert.equal(fresh?.raw.toString(), '{"fresh":true}');
    assert.equal(reads.length, 0);
    // Another instance on the same schema has not stored it: it reads the row, and finds the same body.
    const other = new PostgresEventStore({ db: database(schema), retention: DEFAULT_RETENTION });
    await other.open();
    assert.deepEqual(await other.getRaw(event.id), fresh);
  });

  it('treats % and _ in a type glob as characters, not LIKE wildcards', async () => {
    const events = await store();
    const literal = await events.append(newEvent({ type: 'a_b%.created' }));
    await events.append(newEvent({ type: 'axbyz.created' }));
    const page = await events.list({ type: 'a_b%.*', limit: 10 });
    assert.deepEqual(
      page.data.map((e) => e.id),
      [literal.event.id],
    );
  });

  it('stores a type and provider id holding U+0000, which PostgreSQL text cannot hold, and still de-duplicates', async () => {
    const events = await store();
    const first = await events.append(newEvent({ type: 'a\u0000b', provider_id: 'p\u0000q', payload: { type: 'a\u0000b' } }));
    const again = await events.append(newEvent({ provider_id: 'p\u0000q' }));
    assert.deepEqual([again.duplicate, again.event.id], [true, first.event.id]);
    const read = await events.get(first.event.id);
    assert.equal(read?.type, 'a\ufffdb');
    assert.deepEqual(read?.payload, { type: 'a\u0000b' });
  });

  it('keeps array, string and null payloads and header values as they were', async () => {
    const events = await store();
    for (const payload of [[1, 'two', { three: 3 }], 'text', null, { nested: [[]] }]) {
      const { event } = await events.append(newEvent({ payload, headers: { 'x-list': '[1,2]' } }));
      const read = await events.get(event.id);
      assert.deepEqual(read?.payload, payload);
      assert.deepEqual(read?.headers, { 'x-list': '[1,2]' });
    }
  });
});

describe('PostgresTable specifics', { skip: skipWithoutPostgres }, () => {
  it('announces rows inserted together in one notice per group, ids short or long, and not those already there', async (t) => {
    const schema = newSchema();
    schemas.push(schema);
    const db = database(schema);
    const table = new PostgresTable<Item>(db, 'items');
    await table.open();
    const notices: string[] = [];
    const listener = db.client();
    await listener.connect();
    t.after(() => listener.end());
    listener.on('notification', (message) => notices.push(message.payload ?? ''));
    await listener.query(`LISTEN "${db.signals.channel}"`);
    const announced = () => notices.flatMap((notice) => (JSON.parse(notice) as { ids: string[] }).ids).sort();
    await table.insertNew([{ id: 'already', n: 0 }]);
    await waitFor('the first notice', () => notices.length === 1);
    notices.length = 0;
    const short = Array.from({ length: 50 }, (_, i) => ({ id: `row-${String(i).padStart(2, '0')}`, n: i }));
    const inserted = await table.insertNew([...short, { id: 'already', n: 1 }]);
    assert.equal(inserted.length, 50);
    await waitFor('the ids of the 50 new rows announced', () => announced().length === 50);
    assert.deepEqual(
      announced(),
      short.map((row) => row.id),
    );
    assert.equal(notices.length, 1, 'fifty short ids fit in one notice');
    notices.length = 0;
    // Ten ids of 2,000 characters cannot share one NOTIFY (under 8,000 bytes): several notices, none refused.
    const long = Array.from({ length: 10 }, (_, i) => ({ id: `${i}`.padEnd(2000, 'x'), n: i }));
    assert.equal((await table.insertNew(long)).length, 10);
    await waitFor('the ten long ids announced', () => announced().length === 10);
    assert.ok(notices.length > 1 && notices.every((notice) => Buffer.byteLength(notice) < 8000), `${notices.length} notices`);
  });
});
