import type { Table, TableFactory } from '../store/table.ts';
import type { Priority } from './queue.ts';
import type { ChatMessage, ChatOptions } from './chat-request.ts';
import type { InputItem } from './request-input.ts';
import { isTerminal, type Response } from './response-object.ts';
import { compactRun, framesAfter, mergeRuns, type StoredRun } from './stored-text.ts';
import type { CompactRun, StoredFrame } from './stream-events.ts';

/** One response as stored: the Response object plus what the relay needs to run it again. */
export interface ResponseRow {
  id: string;
  response: Response;
  /** What goes upstream: instructions as a system message, then the conversation. */
  messages: ChatMessage[];
  /** This turn's `input`, as `GET /v1/responses/:id/input_items` lists it (absent in rows of older versions). */
  input_items?: InputItem[];
  /** The chat completions options sent upstream (absent in rows of older versions). */
  chat?: ChatOptions;
  webhook_url: string | null;
  priority: Priority;
  created_ms: number;
  started_ms: number | null;
  finished_ms: number | null;
  /** The key that created it (null: the admin token or a workflow); absent on rows from before keys. */
  owner?: string | null;
}

/** A run of consecutive stream events (see CompactRun and StoredRun). */
interface EventChunk extends StoredRun {
  id: string;
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
  /**
   * Appends events with consecutive sequence numbers starting at `first`; durable when it resolves.
   * Stored compactly (see StoredRun); `run` itself is left as it is.
   */
  appendEvents(id: string, first: number, run: CompactRun): Promise<void>;
  /** Stored events with a sequence number above `after` (-1 = all), in order. Synchronous on purpose: see LiveResponse. */
  eventsAfter(id: string, after: number): StoredFrame[];
  /** Number of stored events (the next sequence number). */
  eventCount(id: string): number;
  /**
   * Merges a finished response's event chunks into one row when there are many (MERGE_FROM_CHUNKS or
   * more): a stream written one event at a time (a model's real pace) would otherwise keep a row per
   * token for the whole retention.
   */
  sealEvents(id: string): Promise<void>;
  chunkCount(id: string): number;
  delete(id: string): Promise<boolean>;
  /** Newest first, starting below `before` when given. */
  list(limit: number, before?: string): ResponseRow[];
  unfinished(): ResponseRow[];
  /** Deletes responses created before `cutoffMs`, and the oldest finished ones beyond `maxRows`. */
  sweep(cutoffMs: number, maxRows: number): Promise<number>;
  /**
   * Re-reads a response's row and stream events as stored now (another instance may have written
   * them); call after claiming a response another instance held.
   */
  refresh(id: string): Promise<void>;
  /**
   * Calls `listener` whenever the row or the stream of response `id` changed, here or on another
   * instance sharing the store (after reads show the change). Returns the function that stops it.
   */
  watch(id: string, listener: () => void): () => void;
}

const chunkId = (id: string, n: number) => `${id}.${n}`;
const responseOfChunk = (chunk: string) => chunk.slice(0, chunk.lastIndexOf('.'));
const REFRESH_WINDOW = 64;

/**
 * A stream stored in fewer chunks (a fast upstream, its events batched while the disk writes) is left
 * as it is: merging would write the whole stream a second time, and its deletes would make the log
 * compact sooner, to save a few small rows. Measured on `bench:responses`: about a tenth of the CPU
 * per token and tens of MB of peak memory.
 */
export const MERGE_FROM_CHUNKS = 16;

export function createTableResponseStore(tables: TableFactory): ResponseStore {
  const rows: Table<ResponseRow> = tables.table<ResponseRow>('ai-responses', 'large');
  const chunks: Table<EventChunk> = tables.table<EventChunk>('ai-response-events', 'large');
  /**
   * Chunk count per response, learned by probing and kept up to date by appends here; forgotten when
   * another instance changes the response's chunks (probed again on the next read).
   */
  const chunkCounts = new Map<string, number>();
  const watchers = new Map<string, Set<() => void>>();
  const tell = (id: string) => {
    for (const listener of [...(watchers.get(id) ?? [])]) listener();
  };
  rows.onChange((ids) => {
    for (const id of ids) tell(id);
  });
  chunks.onChange((ids) => {
    const responses = new Set(ids.map(responseOfChunk));
    for (const id of responses) chunkCounts.delete(id);
    for (const id of responses) tell(id);
  });

  function countChunks(id: string): number {
    let n = chunkCounts.get(id);
    if (n === undefined) {
      n = 0;
      while (chunks.get(chunkId(id, n))) n++;
      chunkCounts.set(id, n);
    }
    return n;
  }

  const chunksOf = (id: string) =>
    Array.from({ length: countChunks(id) }, (_, i) => chunks.get(chunkId(id, i))).filter((c): c is EventChunk => !!c);

  async function remove(id: string): Promise<boolean> {
    const n = countChunks(id);
    await Promise.all(Array.from({ length: n }, (_, i) => chunks.delete(chunkId(id, i))));
    chunkCounts.delete(id);
    const removed = await rows.delete(id);
    tell(id);
    return removed;
  }

  async function seal(id: string): Promise<void> {
    const all = chunksOf(id);
    const items = new Set(all.map((c) => c.item_id).filter((item) => item !== null));
    if (all.length < MERGE_FROM_CHUNKS || items.size > 1) return;
    // The merged row goes in first; a crash before the deletes leaves overlapping rows, which
    // eventsAfter reads once each (by sequence number).
    await chunks.put({ id: chunkId(id, 0), ...mergeRuns(all, [...items][0] ?? null) });
    chunkCounts.set(id, 1);
    await Promise.all(all.slice(1).map((_, i) => chunks.delete(chunkId(id, i + 1))));
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
    put: (row) => rows.put(row).then(() => tell(row.id)),
    appendEvents(id, first, run) {
      const stored = compactRun(() => chunksOf(id), first, run);
      const n = countChunks(id);
      chunkCounts.set(id, n + 1);
      return chunks.put({ id: chunkId(id, n), ...stored }).then(() => tell(id));
    },
    eventsAfter: (id, after) => framesAfter(chunksOf(id), after),
    eventCount: (id) => chunksOf(id).reduce((n, c) => Math.max(n, c.first + c.events.length), 0),
    sealEvents: seal,
    chunkCount: countChunks,
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
    async refresh(id) {
      await rows.refresh([id]);
      chunkCounts.delete(id);
      // Chunk ids are numbered from 0 without gaps: read them a window at a time until one is missing.
      for (let from = 0; ; from += REFRESH_WINDOW) {
        const ids = Array.from({ length: REFRESH_WINDOW }, (_, i) => chunkId(id, from + i));
        await chunks.refresh(ids);
        if (!chunks.get(ids.at(-1) as string)) break;
      }
      chunkCounts.delete(id);
    },
    watch(id, listener) {
      const set = watchers.get(id) ?? new Set();
      watchers.set(id, set);
      set.add(listener);
      return () => {
        set.delete(listener);
        if (set.size === 0 && watchers.get(id) === set) watchers.delete(id);
      };
    },
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
