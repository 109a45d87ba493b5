import { join } from 'node:path';
import { LocalCluster } from '../cluster/cluster.ts';
import { diskBlobStore, memoryBlobStore } from '../files/blob-store.ts';
import { memoryBuckets } from '../keys/rate-buckets.ts';
import { FileEventStore } from './file-event-store.ts';
import { LogTable } from './log-table.ts';
import { LowdbTable } from './lowdb-table.ts';
import { MemoryEventStore } from './memory-event-store.ts';
import { memoryTables } from './memory-table.ts';
import { postgresStorage } from './postgres/storage.ts';
import type { Row, TableVolume } from './table.ts';
import type { Storage, StorageOptions } from './types.ts';
import { WriteHealth } from './write-health.ts';

/** lowdb driver: events in JSON-lines segments, small state in lowdb files, bigger tables as logs. */
export function createStorage(options: StorageOptions): Storage {
  const { retention, now, newId, maxRejections } = options;
  if (options.driver === 'postgres') return postgresStorage(options);
  if (options.driver === 'memory') {
    return {
      events: new MemoryEventStore({ retention, now, newId, maxRejections }),
      tables: memoryTables,
      cluster: new LocalCluster(newId('ins')),
      blobs: memoryBlobStore(),
      buckets: memoryBuckets(now),
    };
  }
  const dir = options.dataDir;
  const health = new WriteHealth(dir);
  return {
    events: new FileEventStore({ dir, retention, now, newId, maxRejections, health }),
    tables: {
      table<T extends Row>(name: string, volume: TableVolume = 'large') {
        return volume === 'small'
          ? new LowdbTable<T>(name, join(dir, 'state', `${name}.json`), health)
          : new LogTable<T>(name, join(dir, 'tables', `${name}.jsonl`), health);
      },
    },
    cluster: new LocalCluster(newId('ins')),
    blobs: diskBlobStore(join(dir, 'files')),
    buckets: memoryBuckets(now),
  };
}
