import type { Table, TableFactory } from '../store/table.ts';
import type { ResponseStatus, ResponseUsage } from './response-object.ts';

/** Tokens and counts for one model on one UTC day. */
export interface UsageRow {
  id: string;
  date: string;
  model: string;
  responses: number;
  completed: number;
  failed: number;
  cancelled: number;
  incomplete: number;
  input_tokens: number;
  output_tokens: number;
  total_tokens: number;
}

export interface UsageStore {
  open(): Promise<void>;
  close(): Promise<void>;
  record(model: string, atMs: number, status: ResponseStatus, usage: ResponseUsage | undefined): Promise<void>;
  /** Rows with `from <= date <= to` (YYYY-MM-DD, both optional), by date then model. */
  list(from?: string, to?: string): UsageRow[];
}

/** Kept apart from responses so totals outlive the responses' retention. */
export function createUsageStore(tables: TableFactory): UsageStore {
  const table: Table<UsageRow> = tables.table<UsageRow>('ai-usage', 'large');
  return {
    open: () => table.open(),
    close: () => table.close(),
    record(model, atMs, status, usage) {
      const date = new Date(atMs).toISOString().slice(0, 10);
      const id = `${date}|${model}`;
      // Read and put in the same tick: tables apply puts to memory synchronously, so no update is lost.
      const row = table.get(id) ?? {
        id,
        date,
        model,
        responses: 0,
        completed: 0,
        failed: 0,
        cancelled: 0,
        incomplete: 0,
        input_tokens: 0,
        output_tokens: 0,
        total_tokens: 0,
      };
      const next = { ...row, responses: row.responses + 1 };
      if (status === 'completed' || status === 'failed' || status === 'cancelled' || status === 'incomplete') next[status]++;
      next.input_tokens += usage?.input_tokens ?? 0;
      next.output_tokens += usage?.output_tokens ?? 0;
      next.total_tokens += usage?.total_tokens ?? 0;
      return table.put(next);
    },
    list(from, to) {
      return [...table.values()]
        .filter((r) => (!from || r.date >= from) && (!to || r.date <= to))
        .sort((a, b) => (a.date === b.date ? a.model.localeCompare(b.model) : a.date.localeCompare(b.date)));
    },
  };
}
