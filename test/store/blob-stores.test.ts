import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { diskBlobStore, memoryBlobStore } from '../../server/files/blob-store.ts';
import { blobStoreContract } from './blob-store.contract.ts';

const dirs: string[] = [];
after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

blobStoreContract('memoryBlobStore', async () => ({ blobs: memoryBlobStore() }));
blobStoreContract('diskBlobStore', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'hookrelay-blobs-'));
  dirs.push(dir);
  return { blobs: diskBlobStore(dir), other: () => diskBlobStore(dir) };
});
