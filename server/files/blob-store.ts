import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from '../store/data-dir-modes.ts';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/**
 * File bytes, kept outside every JSON table (a batch input can be 200 MB). A write is durable and
 * atomic when it resolves: written to a temporary name, fsynced, renamed into place.
 */
export interface BlobStore {
  write(id: string, bytes: Readable | Buffer): Promise<number>;
  read(id: string): Readable;
  readAll(id: string): Promise<Buffer>;
  exists(id: string): Promise<boolean>;
  remove(id: string): Promise<void>;
}

/** Blobs as plain files in one directory of the data dir. */
export function diskBlobStore(dir: string): BlobStore {
  const path = (id: string) => join(dir, id.replaceAll(/[^A-Za-z0-9_-]/g, ''));
  return {
    async write(id, bytes) {
      const source = Buffer.isBuffer(bytes) ? Readable.from([bytes]) : bytes;
      // The source may fail while the folder is made; pipeline() below reports that failure, but only
      // once it runs, and an `error` event with no listener before then would end the process.
      source.on('error', () => {});
      const tmp = `${path(id)}.partial`;
      try {
        await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
        // flush: fsync before close, so the rename below only ever exposes complete bytes.
        await pipeline(source, createWriteStream(tmp, { flush: true, mode: PRIVATE_FILE_MODE }));
      } catch (error) {
        source.destroy();
        await rm(tmp, { force: true });
        throw error;
      }
      await rename(tmp, path(id));
      return (await stat(path(id))).size;
    },
    read: (id) => createReadStream(path(id)),
    async readAll(id) {
      const chunks: Buffer[] = [];
      for await (const chunk of createReadStream(path(id))) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    },
    exists: (id) =>
      stat(path(id)).then(
        () => true,
        () => false,
      ),
    remove: (id) => rm(path(id), { force: true }),
  };
}

/** The in-memory twin, for the memory store driver and tests. */
export function memoryBlobStore(): BlobStore {
  const blobs = new Map<string, Buffer>();
  const get = (id: string) => {
    const found = blobs.get(id);
    if (!found) throw Object.assign(new Error(`no blob ${id}`), { code: 'ENOENT' });
    return found;
  };
  return {
    async write(id, bytes) {
      const chunks: Buffer[] = [];
      if (Buffer.isBuffer(bytes)) chunks.push(bytes);
      else for await (const chunk of bytes) chunks.push(chunk as Buffer);
      const all = Buffer.concat(chunks);
      blobs.set(id, all);
      return all.length;
    },
    // A missing blob fails the stream (as a file that is not there does), not the call.
    read: (id) =>
      Readable.from(
        (async function* () {
          yield get(id);
        })(),
      ),
    readAll: async (id) => get(id),
    exists: async (id) => blobs.has(id),
    remove: async (id) => void blobs.delete(id),
  };
}
