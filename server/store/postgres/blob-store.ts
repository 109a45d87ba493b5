import { Readable } from 'node:stream';
import type { BlobStore } from '../../files/blob-store.ts';
import type { Database } from './database.ts';

/**
 * Rows of at most this many bytes: an upload streams through the relay a chunk at a time (never whole
 * in memory), and no value comes near bytea's 1 GB limit. A file's size is bounded by the upload limit
 * (batches.maxFileBytes).
 */
export const BLOB_CHUNK_BYTES = 4 * 1024 * 1024;

const UPSERT = 'INSERT INTO relay_blobs (id, data) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET data = EXCLUDED.data';
const chunkId = (id: string, n: number) => `${id}#${n}`;

function notFound(id: string): Error {
  return Object.assign(new Error(`no blob ${id}`), { code: 'ENOENT' });
}

/**
 * File bytes in PostgreSQL's relay_blobs table, so every instance reads what any instance stored. A
 * blob is its chunk rows `<id>#0`, `<id>#1`, ... and a head row `<id>` holding the chunk count (ASCII),
 * written last: a reader that finds the head finds every chunk, which makes a write atomic when it
 * resolves, as on disk.
 */
export function postgresBlobStore(db: Database): BlobStore {
  async function chunkCount(id: string): Promise<number | undefined> {
    const { rows } = await db.query<{ data: Buffer }>('SELECT data FROM relay_blobs WHERE id = $1', [id]);
    return rows[0] ? Number(rows[0].data.toString('ascii')) : undefined;
  }

  async function* chunks(id: string): AsyncGenerator<Buffer> {
    const count = await chunkCount(id);
    if (count === undefined) throw notFound(id);
    for (let n = 0; n < count; n++) {
      const { rows } = await db.query<{ data: Buffer }>('SELECT data FROM relay_blobs WHERE id = $1', [chunkId(id, n)]);
      if (!rows[0]) throw notFound(chunkId(id, n));
      yield rows[0].data;
    }
  }

  async function remove(id: string): Promise<void> {
    // The head first: from then on the blob is gone for readers, whatever happens to the chunks.
    await db.query('DELETE FROM relay_blobs WHERE id = $1', [id]);
    await db.query(`DELETE FROM relay_blobs WHERE starts_with(id, $1 || '#')`, [id]);
  }

  /** Writes the chunk rows as the bytes arrive (awaiting each, which holds back the source); returns count and size. */
  async function writeChunks(id: string, source: AsyncIterable<Buffer>): Promise<{ count: number; size: number }> {
    let count = 0;
    let size = 0;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const flush = async (bytes: Buffer) => {
      await db.query(UPSERT, [chunkId(id, count), bytes]);
      count++;
    };
    for await (const piece of source) {
      pending.push(piece);
      pendingBytes += piece.length;
      size += piece.length;
      if (pendingBytes < BLOB_CHUNK_BYTES) continue;
      let all = Buffer.concat(pending);
      while (all.length >= BLOB_CHUNK_BYTES) {
        await flush(all.subarray(0, BLOB_CHUNK_BYTES));
        all = all.subarray(BLOB_CHUNK_BYTES);
      }
      pending = all.length > 0 ? [all] : [];
      pendingBytes = all.length;
    }
    if (pendingBytes > 0) await flush(Buffer.concat(pending));
    return { count, size };
  }

  return {
    async write(id, bytes) {
      // A stream that fails while the old rows go is reported by the loop below, not as an unheard event.
      if (!Buffer.isBuffer(bytes)) bytes.on('error', () => {});
      await remove(id);
      try {
        const source = Buffer.isBuffer(bytes) ? [bytes] : (bytes as AsyncIterable<Buffer>);
        const { count, size } = await writeChunks(
          id,
          (async function* () {
            for await (const piece of source) yield Buffer.isBuffer(piece) ? piece : Buffer.from(piece);
          })(),
        );
        await db.query(UPSERT, [id, Buffer.from(String(count), 'ascii')]);
        return size;
      } catch (error) {
        await remove(id).catch(() => {});
        throw error;
      }
    },
    read: (id) => Readable.from(chunks(id)),
    async readAll(id) {
      const parts: Buffer[] = [];
      for await (const part of chunks(id)) parts.push(part);
      return Buffer.concat(parts);
    },
    exists: async (id) => (await chunkCount(id)) !== undefined,
    remove,
  };
}
