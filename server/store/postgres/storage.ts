import { PostgresCluster } from '../../cluster/postgres-cluster.ts';
import type { StorageOptions, Storage } from '../types.ts';
import type { Row } from '../table.ts';
import { postgresBlobStore } from './blob-store.ts';
import { postgresBuckets } from './buckets.ts';
import { Database } from './database.ts';
import { EventFeed } from './event-feed.ts';
import { PostgresEventStore } from './event-store.ts';
import { PostgresTable } from './table.ts';

/** postgres driver: events, rejections and every table in one database, shared by all instances. */
export function postgresStorage(options: StorageOptions): Storage {
  if (!options.url) throw new Error('the postgres driver needs a connection URL');
  const db = new Database({ url: options.url, schema: options.schema });
  const { retention, now, newId, maxRejections } = options;
  const events = new PostgresEventStore({ db, retention, now, newId, maxRejections, instance: db.instance });
  return {
    events,
    tables: { table: <T extends Row>(name: string) => new PostgresTable<T>(db, name) },
    blobs: postgresBlobStore(db),
    buckets: postgresBuckets(db),
    cluster: new PostgresCluster({ db, leaseMs: options.leaseMs ?? 15_000, onError: options.onError ?? (() => {}) }),
    async connectBus(bus, onError) {
      const feed = new EventFeed({ db, instance: events.instance, bus, onError });
      await feed.start();
      db.beforeClose(() => feed.stop());
    },
  };
}
