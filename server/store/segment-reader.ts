import { open } from 'node:fs/promises';
import type { StoredEvent } from './event-line.ts';

/** Lines close together in one file are read with one read of at most this many bytes. */
const SPAN_BYTES = 4 * 2 ** 20;
/** ...unless the next line starts this far past the last one: scattered lines are read one span each. */
const GAP_BYTES = 64 * 2 ** 10;

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
        if (offset > high + GAP_BYTES || offset + length < low - GAP_BYTES) break;
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

/**
 * Single-line reads (a delivery's body, one at a time from many attempts in flight) grouped: the
 * requests that arrive while one read runs are served by the next, in file and offset order, so a
 * hundred concurrent reads cost one open and a few reads instead of a hundred of each.
 */
export class LineBatcher {
  #queue: Array<{ entry: StoredEvent; resolve(line: string | undefined): void; reject(error: unknown): void }> = [];
  #running = false;

  read(entry: StoredEvent): Promise<string | undefined> {
    if (entry.place === undefined) return Promise.resolve(entry.line);
    return new Promise((resolve, reject) => {
      this.#queue.push({ entry, resolve, reject });
      if (!this.#running) {
        this.#running = true;
        queueMicrotask(() => void this.#drain());
      }
    });
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, 1000).sort((a, b) => byPlace(a.entry, b.entry));
      try {
        const lines = await readLines(batch.map((request) => request.entry));
        for (let i = 0; i < batch.length; i++) batch[i].resolve(lines[i]);
      } catch (error) {
        for (const request of batch) request.reject(error);
      }
    }
    this.#running = false;
  }
}

function byPlace(a: StoredEvent, b: StoredEvent): number {
  const fa = a.place?.file ?? '';
  const fb = b.place?.file ?? '';
  if (fa !== fb) return fa < fb ? -1 : 1;
  return (a.place?.offset ?? 0) - (b.place?.offset ?? 0);
}
