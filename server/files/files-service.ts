import type { FilesService } from '../../plugins/sdk.ts';
import type { BlobStore } from './blob-store.ts';
import type { FileRecord, FileStore } from './file-store.ts';

export function createFilesService(
  store: FileStore,
  blobs: BlobStore,
  newId: (prefix: string) => string,
  now: () => number,
): FilesService {
  return {
    get: (id) => store.get(id),
    find: (id) => store.find(id),
    readAll: (id) => blobs.readAll(id),
    async create({ filename, purpose, bytes, owner = null }) {
      const id = newId('file');
      // Bytes first, then the row: a crash between them leaves an orphan blob, never a row without bytes.
      const size = await blobs.write(id, bytes);
      const file: FileRecord = {
        id,
        object: 'file',
        bytes: size,
        created_at: Math.floor(now() / 1000),
        filename,
        purpose,
        status: 'processed',
        expires_at: null,
        owner,
      };
      await store.save(file);
      return file;
    },
  };
}
