import type { Table, TableFactory } from '../store/table.ts';
import type { Priority } from './queue.ts';
import type { ChatMessage } from './request.ts';
import { isTerminal, type Response } from './response-object.ts';
import { type CompactRun, frameOf } from './stream-events.ts';

/** One response as stored: the Response object plus what the relay needs to run it again. */
export interface ResponseRow {
  id: string;
  response: Response;
  messages: ChatMessage[];
  webhook_url: string | null;
  priority: Priority;
  created_ms: number;
  started_ms: number | null;
  finished_ms: number | null;
}

/** A run of consecutive stream events (see CompactRun). */
interface EventChunk extends CompactRun {
  id: string;
  first: number;
}

export interface StoredFrame {
  seq: number;
  frame: string;
}

/**
 * Where responses and their stream events live. Queries stay behind this interface so another
 * database can replace the tables without touching callers.
 */
export interface ResponseStore {
  open(): Promise<void>;
  close(): Promise<void>;
  get(id: string): ResponseRow | undefined;
  put(row: ResponseRow): Promise<void>;
  /** Appends events with consecutive sequence numbers starting at `first`; durable when it resolves. */
  appendEvents(id: string, first: number, run: CompactRun): Promise<void>;
  /** Stored events with a sequence number above `after` (-1 = all), in order. Synchronous on purpose: see LiveResponse. */
  eventsAfter(id: string, after: number): StoredFrame[];
  /** Number of stored events (the next sequence number). */
  eventCount(id: string): number;
  delete(id: string): Promise<boolean>;
  /** Newest first, starting below `before` when given. */
  list(limit: number, before?: string): ResponseRow[];
  unfinished(): ResponseRow[];
  /** Deletes responses created before `cutoffMs`, and the oldest finished ones beyond `maxRows`. */
  sweep(cutoffMs: number, maxRows: number): Promise<number>;
}

const chunkId = (id: string, n: number) => `${id}.${n}`;

export function createTableResponseStore(tables: TableFactory): ResponseStore {
  const rows: Table<ResponseRow> = tables.table<ResponseRow>('ai-responses', 'large');
  const chunks: Table<EventChunk> = tables.table<EventChunk>('ai-response-events', 'large');
  /** Chunk count per response, learned by probing once and kept up to date by appends. */
  const chunkCounts = new Map<string, number>();

  function countChunks(id: string): number {
    let n = chunkCounts.get(id);
    if (n === undefined) {
      n = 0;
      while (chunks.get(chunkId(id, n))) n++;
      chunkCounts.set(id, n);
    }
    return n;
  }

  async function remove(id: string): Promise<boolean> {
    const n = countChunks(id);
    for (let i = 0; i < n; i++) await chunks.delete(chunkId(id, i));
    chunkCounts.delete(id);
    return rows.delete(id);
  }

  return {
    open: async () => {
      await rows.open();
      await chunks.open();
    },
    close: async () => {
      await chunks.close();
      await rows.close();
    },
    get: (id) => rows.get(id),
    put: (row) => rows.put(row),
    appendEvents(id, first, run) {
      const n = countChunks(id);
      chunkCounts.set(id, n + 1);
      return chunks.put({ id: chunkId(id, n), first, ...run });
    },
    eventsAfter(id, after) {
      const out: StoredFrame[] = [];
      const n = countChunks(id);
      for (let i = 0; i < n; i++) {
        const chunk = chunks.get(chunkId(id, i));
        if (!chunk || chunk.first + chunk.events.length - 1 <= after) continue;
        chunk.events.forEach((event, k) => {
          const seq = chunk.first + k;
          if (seq > after) out.push({ seq, frame: frameOf(event, seq, chunk.item_id) });
        });
      }
      return out;
    },
    eventCount(id) {
      const n = countChunks(id);
      const last = n > 0 ? chunks.get(chunkId(id, n - 1)) : undefined;
      return last ? last.first + last.events.length : 0;
    },
    delete: remove,
    list(limit, before) {
      const all = [...rows.values()];
      const out: ResponseRow[] = [];
      for (let i = all.length - 1; i >= 0 && out.length < limit; i--) {
        const row = all[i] as ResponseRow;
        if (before === undefined || row.id < before) out.push(row);
      }
      return out;
    },
    unfinished: () => [...rows.values()].filter((r) => !isTerminal(r.response.status)),
    async sweep(cutoffMs, maxRows) {
      let excess = rows.size - maxRows;
      const doomed: string[] = [];
      for (const row of rows.values()) {
        const finished = isTerminal(row.response.status);
        if (finished && (row.created_ms < cutoffMs || excess > 0)) {
          doomed.push(row.id);
          excess--;
        }
      }
      for (const id of doomed) await remove(id);
      return doomed.length;
    },
  };
}
