import { join } from 'node:path';
import type { IdFactory } from '../ids.ts';
import { FileEventStore } from './file-event-store.ts';
import { LogTable } from './log-table.ts';
import { LowdbTable } from './lowdb-table.ts';
import { MemoryEventStore } from './memory-event-store.ts';
import { memoryTables } from './memory-table.ts';
import type { Row, TableFactory, TableVolume } from './table.ts';
import type { EventStore, RetentionPolicy } from './types.ts';

export interface Storage {
  events: EventStore;
  tables: TableFactory;
}

export interface StorageOptions {
  driver: 'lowdb' | 'memory';
  dataDir: string;
  retention: RetentionPolicy;
  now: () => number;
  newId: IdFactory;
  /** How many refused ingest requests the rejection log keeps (limits.rejections). */
  maxRejections?: number;
}

/** lowdb driver: events in JSON-lines segments, small state in lowdb files, bigger tables as logs. */
export function createStorage(options: StorageOptions): Storage {
  const { retention, now, newId, maxRejections } = options;
  if (options.driver === 'memory') {
    return { events: new MemoryEventStore({ retention, now, newId, maxRejections }), tables: memoryTables };
  }
  const dir = options.dataDir;
  return {
    events: new FileEventStore({ dir, retention, now, newId, maxRejections }),
    tables: {
      table<T extends Row>(name: string, volume: TableVolume = 'large') {
        return volume === 'small'
          ? new LowdbTable<T>(name, join(dir, 'state', `${name}.json`))
          : new LogTable<T>(name, join(dir, 'tables', `${name}.jsonl`));
      },
    },
  };
}
