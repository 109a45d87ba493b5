import { open } from 'node:fs/promises';
import type { StoredEvent } from './event-line.ts';

/** Lines close together in one file are read with one read of at most this many bytes. */
const SPAN_BYTES = 4 * 2 ** 20;

/**
 * Reads the stored lines of index entries back from their segment files. Entries are usually in id
 * order, so neighbours sit side by side in one file and a page of 1,000 events is one or two reads
 * (from the page cache, normally). A file that is gone (retention unlinked it) yields undefined.
 */
export async function readLines(entries: StoredEvent[]): Promise<Array<string | undefined>> {
  const out = new Array<string | undefined>(entries.length);
  for (let i = 0; i < entries.length; ) {
    const file = entries[i].place?.file;
    let j = i + 1;
    while (j < entries.length && entries[j].place?.file === file) j++;
    if (file === undefined) for (let k = i; k < j; k++) out[k] = entries[k].line;
    else await readRun(file, entries.slice(i, j), out, i);
    i = j;
  }
  return out;
}

async function readRun(file: string, run: StoredEvent[], out: Array<string | undefined>, at: number): Promise<void> {
  const handle = await open(file, 'r').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw error;
  });
  if (!handle) return;
  try {
    for (let k = 0; k < run.length; ) {
      let low = run[k].place!.offset;
      let high = low + run[k].place!.length;
      let m = k + 1;
      for (; m < run.length; m++) {
        const { offset, length } = run[m].place!;
        if (Math.max(high, offset + length) - Math.min(low, offset) > SPAN_BYTES) break;
        low = Math.min(low, offset);
        high = Math.max(high, offset + length);
      }
      const bytes = Buffer.allocUnsafe(high - low);
      for (let filled = 0; filled < bytes.length; ) {
        const { bytesRead } = await handle.read(bytes, filled, bytes.length - filled, low + filled);
        if (bytesRead === 0) throw new Error(`${file} is shorter than its index says`);
        filled += bytesRead;
      }
      for (let n = k; n < m; n++) {
        const { offset, length } = run[n].place!;
        out[at + n] = bytes.toString('utf8', offset - low, offset - low + length);
      }
      k = m;
    }
  } finally {
    await handle.close();
  }
}
