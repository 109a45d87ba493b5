import type { Table } from '../store/table.ts';
import { type BatchRecord, type OutputLine, TERMINAL } from './types.ts';

/** The result of one request line, persisted as soon as it is known (what makes a restart resume). */
export interface LineResult {
  /** `<batch id>:<line number>` */
  id: string;
  batch_id: string;
  line: number;
  outcome: 'completed' | 'failed';
  output: OutputLine;
}

/** Batches and their per-line results. A PostgreSQL implementation can replace the table one later. */
export interface BatchStore {
  open(): Promise<void>;
  close(): Promise<void>;
  get(id: string): BatchRecord | undefined;
  /** Newest first, after the `after` cursor. */
  /** `owner` given: only that key's batches. */
  list(query: { after?: string; limit: number; owner?: string | null }): { data: BatchRecord[]; has_more: boolean };
  /** Batches a stop interrupted: to resume on start. */
  unfinished(): BatchRecord[];
  save(batch: BatchRecord): Promise<void>;
  results(batchId: string): LineResult[];
  saveResult(result: LineResult): Promise<void>;
  /** Once the output and error files hold them, the per-line rows are no longer needed. */
  dropResults(batchId: string): Promise<void>;
  /**
   * Re-reads a batch and the results of its lines (1-based line numbers) as stored now: call after
   * claiming a batch another instance ran.
   */
  refresh(batchId: string, lines?: readonly number[]): Promise<void>;
  /** Calls `listener` with the ids of batches another instance changed. */
  onChange(listener: (ids: readonly string[]) => void): () => void;
}

export function tableBatchStore(batches: Table<BatchRecord>, lines: Table<LineResult>): BatchStore {
  const byBatch = new Map<string, Map<number, LineResult>>();
  const index = (r: LineResult) => {
    const map = byBatch.get(r.batch_id) ?? new Map<number, LineResult>();
    byBatch.set(r.batch_id, map);
    map.set(r.line, r);
  };
  /** Keeps the per-batch index in step with line rows that changed (another instance, or a refresh). */
  const reindex = (ids: readonly string[]) => {
    for (const id of ids) {
      const row = lines.get(id);
      if (row) index(row);
      else {
        const at = id.lastIndexOf(':');
        byBatch.get(id.slice(0, at))?.delete(Number(id.slice(at + 1)));
      }
    }
  };
  lines.onChange(reindex);
  return {
    async open() {
      await batches.open();
      await lines.open();
      for (const r of lines.values()) index(r);
    },
    async close() {
      await lines.close();
      await batches.close();
    },
    get: (id) => batches.get(id),
    list({ after, limit, owner }) {
      const newestFirst = [...batches.values()].reverse().filter((b) => owner === undefined || (b.owner ?? null) === owner);
      const start = after ? newestFirst.findIndex((b) => b.id === after) + 1 : 0;
      return { data: newestFirst.slice(start, start + limit), has_more: start + limit < newestFirst.length };
    },
    unfinished: () => [...batches.values()].filter((b) => !TERMINAL.has(b.status)),
    save: (batch) => batches.put(batch),
    results: (batchId) => [...(byBatch.get(batchId)?.values() ?? [])].sort((a, b) => a.line - b.line),
    async saveResult(result) {
      await lines.put(result);
      index(result);
    },
    async dropResults(batchId) {
      for (const r of byBatch.get(batchId)?.values() ?? []) await lines.delete(r.id);
      byBatch.delete(batchId);
    },
    async refresh(batchId, lineNumbers = []) {
      await batches.refresh([batchId]);
      const ids = lineNumbers.map((n) => `${batchId}:${n}`);
      await lines.refresh(ids);
      reindex(ids);
    },
    onChange: (listener) => batches.onChange(listener),
  };
}
