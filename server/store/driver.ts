import { join } from 'node:path';
import type { EventBus } from '../bus.ts';
import { type Cluster, LocalCluster } from '../cluster/cluster.ts';
import { type BlobStore, diskBlobStore, memoryBlobStore } from '../files/blob-store.ts';
import type { StoreDriver } from '../config/types.ts';
import type { IdFactory } from '../ids.ts';
import { memoryBuckets, type RateBuckets } from '../keys/rate-buckets.ts';
import { FileEventStore } from './file-event-store.ts';
import { LogTable } from './log-table.ts';
import { LowdbTable } from './lowdb-table.ts';
import { MemoryEventStore } from './memory-event-store.ts';
import { memoryTables } from './memory-table.ts';
import { postgresStorage } from './postgres/storage.ts';
import type { Row, TableFactory, TableOptions, TableVolume } from './table.ts';
import type { EventStore, RetentionPolicy } from './types.ts';

export interface Storage {
  events: EventStore;
  tables: TableFactory;
  /** Claims and roles among the instances sharing this store (one process: LocalCluster). */
  cluster: Cluster;
  /** File bytes (uploads and batch outputs), where every instance sharing the store can read them. */
  blobs: BlobStore;
  /** Per-key request rates, shared by every instance that shares the store. */
  buckets: RateBuckets;
  /**
   * Drivers shared by several instances publish events stored elsewhere on this bus (after
   * events.open()); stops when the event store closes. Absent for single-process drivers.
   */
  connectBus?(bus: EventBus, onError: (error: unknown) => void): Promise<void>;
}

export interface StorageOptions {
  driver: StoreDriver;
  dataDir: string;
  /** postgres: connection URL and optional schema. */
  url?: string;
  schema?: string;
  retention: RetentionPolicy;
  now: () => number;
  newId: IdFactory;
  /** How many refused ingest requests the rejection log keeps (limits.rejections). */
  maxRejections?: number;
  /** postgres: how long an instance may miss heartbeats before others take over its work. */
  leaseMs?: number;
  onError?(error: unknown): void;
}

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
  return {
    events: new FileEventStore({ dir, retention, now, newId, maxRejections }),
    tables: {
      table<T extends Row>(name: string, volume: TableVolume = 'large', options: TableOptions = {}) {
        return volume === 'small'
          ? new LowdbTable<T>(name, join(dir, 'state', `${name}.json`), options.secret ? 0o600 : undefined)
          : new LogTable<T>(name, join(dir, 'tables', `${name}.jsonl`));
      },
    },
    cluster: new LocalCluster(newId('ins')),
    blobs: diskBlobStore(join(dir, 'files')),
    buckets: memoryBuckets(now),
  };
}
