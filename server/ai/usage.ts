import type { Table, TableFactory } from '../store/table.ts';
import type { ResponseStatus, ResponseUsage } from './response-object.ts';

/** Tokens and counts for one model, one key and one UTC day. */
export interface UsageRow {
  id: string;
  date: string;
  model: string;
  /** The key that made the responses; null for the admin token and the relay's own (workflows, batches). */
  key_id: string | null;
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
    usage: Pick<ResponseUsage, 'input_tokens' | 'output_tokens' | 'total_tokens'> | null | undefined,
    key: string | null,
    api?: 'responses' | 'chat.completions',
  ): Promise<void>;
  /**
   * Rows with `from <= date <= to` (YYYY-MM-DD, both optional), one per date, model and key, by date,
   * then model, then key; `key` given (null included): that key's rows only.
   */
  list(from?: string, to?: string, key?: string | null): UsageRow[];
  /** Total tokens a key used from `from` to `to` (dates, inclusive), summed over every instance. */
  tokensOf(key: string, from: string, to: string): number;
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

const empty = (id: string, date: string, model: string, key: string | null): UsageRow => ({
  id,
  date,
  model,
  key_id: key,
  ...(Object.fromEntries(COUNTS.map((k) => [k, 0])) as Record<(typeof COUNTS)[number], number>),
});

const byDateModelKey = (a: UsageRow, b: UsageRow) =>
  a.date.localeCompare(b.date) || a.model.localeCompare(b.model) || (a.key_id ?? '').localeCompare(b.key_id ?? '');

/**
 * Kept apart from responses so totals outlive the responses' retention. Each instance only ever adds
 * to rows of its own (`<date>|<model>` in one process, `<date>|<model>|<instance>` on a shared store),
 * kept in memory and written whole, so concurrent instances never overwrite each other's counts; a
 * read sums the rows of every instance per date and model.
 */
export function createUsageStore(tables: TableFactory, instance: string | null): UsageStore {
  const table: Table<UsageRow> = tables.table<UsageRow>('ai-usage', 'large');
  /** This instance's rows as it last wrote them (the table's cache may lag behind a put in flight). */
  const own = new Map<string, UsageRow>();
  return {
    open: () => table.open(),
    close: () => table.close(),
    record(model, atMs, status, usage, key, api = 'responses') {
      const date = new Date(atMs).toISOString().slice(0, 10);
      // Rows of the admin token keep the ids they had before keys existed, so their totals continue.
      const base = key ? `${date}|${model}|${key}` : `${date}|${model}`;
      const id = instance ? `${base}|${instance}` : base;
      const row = { ...(own.get(id) ?? table.get(id) ?? empty(id, date, model, key)) };
      row.chat_completions ??= 0;
      if (api === 'chat.completions') row.chat_completions++;
      else row.responses++;
      if (status === 'completed' || status === 'failed' || status === 'cancelled' || status === 'incomplete') row[status]++;
      row.input_tokens += usage?.input_tokens ?? 0;
      row.output_tokens += usage?.output_tokens ?? 0;
      row.total_tokens += usage?.total_tokens ?? 0;
      own.set(id, row);
      return table.put(row);
    },
    list(from, to, key) {
      const sums = new Map<string, UsageRow>();
      for (const row of table.values()) {
        const rowKey = row.key_id ?? null;
        if ((from && row.date < from) || (to && row.date > to) || (key !== undefined && rowKey !== key)) continue;
        const id = rowKey ? `${row.date}|${row.model}|${rowKey}` : `${row.date}|${row.model}`;
        const sum = sums.get(id) ?? empty(id, row.date, row.model, rowKey);
        for (const k of COUNTS) sum[k] += row[k] ?? 0;
        sums.set(id, sum);
      }
      return [...sums.values()].sort(byDateModelKey);
    },
    tokensOf(key, from, to) {
      let total = 0;
      for (const row of table.values()) if (row.key_id === key && row.date >= from && row.date <= to) total += row.total_tokens;
      return total;
    },
  };
}
