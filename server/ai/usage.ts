import type { Table, TableFactory } from '../store/table.ts';
import type { ResponseStatus, ResponseUsage } from './response-object.ts';

/** Tokens and counts for one model, one caller and one UTC day. */
export interface UsageRow {
  id: string;
  date: string;
  model: string;
  /** The key or token id of the caller; null for the admin token (and rows of older versions). */
  caller: string | null;
  responses: number;
  /** `POST /v1/chat/completions` calls (their tokens are in the token totals). */
  chat_completions: number;
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
  record(
    model: string,
    atMs: number,
    status: ResponseStatus,
    usage: ResponseUsage | null | undefined,
    by?: { caller?: string | null; api?: 'responses' | 'chat.completions' },
  ): Promise<void>;
  /** Rows with `from <= date <= to` (YYYY-MM-DD, both optional), by date, model and caller. */
  list(from?: string, to?: string): UsageRow[];
}

const COUNTS = [
  'responses',
  'chat_completions',
  'completed',
  'failed',
  'cancelled',
  'incomplete',
  'input_tokens',
  'output_tokens',
  'total_tokens',
] as const;

const empty = (id: string, date: string, model: string, caller: string | null): UsageRow => ({
  id,
  date,
  model,
  caller,
  ...(Object.fromEntries(COUNTS.map((k) => [k, 0])) as Record<(typeof COUNTS)[number], number>),
});

/**
 * Kept apart from responses so totals outlive the responses' retention. Each instance only ever adds
 * to rows of its own (`<date>|<model>[|<caller>]` in one process, then `|<instance>` on a shared store),
 * kept in memory and written whole, so concurrent instances never overwrite each other's counts; a
 * read sums the rows of every instance per date, model and caller.
 */
export function createUsageStore(tables: TableFactory, instance: string | null): UsageStore {
  const table: Table<UsageRow> = tables.table<UsageRow>('ai-usage', 'large');
  /** This instance's rows as it last wrote them (the table's cache may lag behind a put in flight). */
  const own = new Map<string, UsageRow>();
  return {
    open: () => table.open(),
    close: () => table.close(),
    record(model, atMs, status, usage, by = {}) {
      const date = new Date(atMs).toISOString().slice(0, 10);
      const caller = by.caller ?? null;
      const key = caller === null ? `${date}|${model}` : `${date}|${model}|${caller}`;
      const id = instance ? `${key}|${instance}` : key;
      const row = { ...(own.get(id) ?? table.get(id) ?? empty(id, date, model, caller)) };
      row.chat_completions ??= 0;
      if (by.api === 'chat.completions') row.chat_completions++;
      else row.responses++;
      if (status === 'completed' || status === 'failed' || status === 'cancelled' || status === 'incomplete') row[status]++;
      row.input_tokens += usage?.input_tokens ?? 0;
      row.output_tokens += usage?.output_tokens ?? 0;
      row.total_tokens += usage?.total_tokens ?? 0;
      own.set(id, row);
      return table.put(row);
    },
    list(from, to) {
      const sums = new Map<string, UsageRow>();
      for (const row of table.values()) {
        if ((from && row.date < from) || (to && row.date > to)) continue;
        const caller = row.caller ?? null;
        const id = caller === null ? `${row.date}|${row.model}` : `${row.date}|${row.model}|${caller}`;
        const sum = sums.get(id) ?? empty(id, row.date, row.model, caller);
        for (const k of COUNTS) sum[k] += row[k] ?? 0;
        sums.set(id, sum);
      }
      return [...sums.values()].sort((a, b) => (a.date === b.date ? a.id.localeCompare(b.id) : a.date.localeCompare(b.date)));
    },
  };
}
