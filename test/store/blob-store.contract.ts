import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import type { BlobStore } from '../../server/files/blob-store.ts';

export interface BlobHarness {
  blobs: BlobStore;
  /** A store over the same place (another process or instance): sees what `blobs` wrote. */
  other?: () => BlobStore;
}

async function readStream(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

/** The behaviour every BlobStore implementation must have; `large` is a size that spans the store's chunks. */
export function blobStoreContract(name: string, make: () => Promise<BlobHarness>, large = 9 * 1024 * 1024 + 17): void {
  describe(`BlobStore contract: ${name}`, () => {
    it('writes a buffer and reads it back whole and as a stream, with its size', async () => {
      const { blobs } = await make();
      const bytes = Buffer.from('{"custom_id":"a"}\n{"custom_id":"b"}\n');
      assert.equal(await blobs.write('file_a', bytes), bytes.length);
      assert.equal(await blobs.exists('file_a'), true);
      assert.deepEqual(await blobs.readAll('file_a'), bytes);
      assert.deepEqual(await readStream(blobs.read('file_a')), bytes);
    });

    it('streams a large upload in and out byte for byte', async () => {
      const { blobs } = await make();
      const bytes = randomBytes(large);
      // Uneven pieces, as a multipart parser hands them over.
      const pieces = [bytes.subarray(0, 1000), bytes.subarray(1000, large - 5), bytes.subarray(large - 5)];
      assert.equal(await blobs.write('file_big', Readable.from(pieces)), large);
      assert.ok((await blobs.readAll('file_big')).equals(bytes));
      assert.ok((await readStream(blobs.read('file_big'))).equals(bytes));
    });

    it('keeps an empty file', async () => {
      const { blobs } = await make();
      assert.equal(await blobs.write('file_empty', Buffer.alloc(0)), 0);
      assert.equal(await blobs.exists('file_empty'), true);
      assert.equal((await blobs.readAll('file_empty')).length, 0);
    });

    it('replaces a blob written again under the same id', async () => {
      const { blobs } = await make();
      await blobs.write('file_r', randomBytes(large));
      await blobs.write('file_r', Buffer.from('short'));
      assert.equal((await blobs.readAll('file_r')).toString(), 'short');
    });

    it('removes a blob: it no longer exists and reading it fails', async () => {
      const { blobs } = await make();
      await blobs.write('file_gone', Buffer.from('x'));
      await blobs.remove('file_gone');
      await blobs.remove('file_gone');
      assert.equal(await blobs.exists('file_gone'), false);
      await assert.rejects(blobs.readAll('file_gone'));
      await assert.rejects(readStream(blobs.read('file_gone')));
    });

    it('leaves nothing behind when the source fails mid-write', async () => {
      const { blobs } = await make();
      const failing = Readable.from(
        (async function* () {
          yield randomBytes(large);
          throw new Error('client went away');
        })(),
      );
      await assert.rejects(blobs.write('file_broken', failing), /client went away/);
      assert.equal(await blobs.exists('file_broken'), false);
    });

    it('is read by another store over the same place', async (t) => {
      const { blobs, other } = await make();
      if (!other) return t.skip(`${name} lives in one process's memory, by design`);
      const bytes = randomBytes(large);
      await blobs.write('file_shared', bytes);
      assert.ok((await other().readAll('file_shared')).equals(bytes));
    });
  });
}
