import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { FileEventStore } from '../../server/store/file-event-store.ts';
import { MemoryEventStore } from '../../server/store/memory-event-store.ts';
import { eventStoreContract, type StoreSetup } from './event-store.contract.ts';

const DEFAULT_RETENTION = { maxEvents: 100_000, maxAgeDays: 7 };
const dirs: string[] = [];
after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

eventStoreContract('MemoryEventStore', async (setup: StoreSetup) => {
  const store = new MemoryEventStore({ retention: DEFAULT_RETENTION, ...setup });
  await store.open();
  return { store };
});

eventStoreContract('FileEventStore', async (setup: StoreSetup) => {
  const dir = await mkdtemp(join(tmpdir(), 'hookrelay-store-'));
  dirs.push(dir);
  // Small segments, so rolling from one file to the next is part of every case.
  const make = () => new FileEventStore({ dir, retention: DEFAULT_RETENTION, segmentEvents: 7, ...setup });
  const store = make();
  await store.open();
  return {
    store,
    async reopen() {
      await store.close();
      const next = make();
      await next.open();
      return next;
    },
  };
});
