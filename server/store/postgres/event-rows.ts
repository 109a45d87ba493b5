import { globToLike, isGlob } from '../../../ui/lib/glob.js';
import type { EventQuery, NewEvent, RelayEvent } from '../types.ts';

// Mapping between RelayEvent and the events table, and the SQL for list queries.

export const EVENT_COLUMNS = 'id, source, type, received_at, provider_id, headers, payload, verified';

export interface EventRow {
  id: string;
  source: string;
  type: string;
  received_at: Date;
  provider_id: string | null;
  headers: Record<string, string>;
  payload: unknown;
  verified: { scheme: string };
}

export function eventFromRow(row: EventRow): RelayEvent {
  return {
    id: row.id,
    source: row.source,
    type: row.type,
    received_at: row.received_at.toISOString(),
    provider_id: row.provider_id,
    headers: row.headers,
    payload: row.payload,
    verified: row.verified,
  };
}

export interface NewRow {
  event: RelayEvent;
  input: NewEvent;
}

const COLUMNS_PER_ROW = 11;

/**
 * One statement for several events: insert each unless its (source, provider_id) exists (also earlier
 * in the same statement), and announce each new id to other instances. NOTIFY inside the statement is
 * sent on commit, so listeners never see an uncommitted id. JSON columns get their text explicitly
 * (node-postgres would turn a JS array into a PostgreSQL array).
 */
export function insertStatement(rows: readonly NewRow[], channel: string, instance: string) {
  const values: unknown[] = [channel, `${instance} `, instance];
  const tuples = rows.map(({ event, input }) => {
    const at = values.length;
    values.push(
      event.id,
      event.source,
      textValue(event.type),
      event.received_at,
      event.provider_id === null ? null : textValue(event.provider_id),
      JSON.stringify(event.headers),
      JSON.stringify(event.payload ?? null),
      JSON.stringify(event.verified),
      input.raw,
      input.content_type,
      input.client_ip ?? null,
    );
    const p = (n: number) => `$${at + n}`;
    return `(${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, ${p(5)}, ${p(6)}::json, ${p(7)}::json, ${p(8)}::json, ${p(9)}, ${p(10)}, ${p(11)}, $3)`;
  });
  return {
    text: `WITH inserted AS (
        INSERT INTO events (id, source, type, received_at, provider_id, headers, payload, verified, raw, content_type, client_ip, stored_by)
        VALUES ${tuples.join(', ')}
        ON CONFLICT (source, provider_id) WHERE provider_id IS NOT NULL DO NOTHING
        RETURNING id)
      SELECT id, pg_notify($1, $2 || id) FROM inserted`,
    values,
  };
}

/** Rows per statement: PostgreSQL takes at most 65,535 parameters, and smaller statements finish sooner. */
export const MAX_ROWS_PER_INSERT = Math.min(500, Math.floor(65_535 / COLUMNS_PER_ROW) - 1);

/**
 * PostgreSQL text cannot hold U+0000, which a payload's `type` or id may contain; it is stored as
 * U+FFFD. (JSON columns keep it: they hold the escaped text.)
 */
export function textValue(value: string): string {
  return value.includes('\u0000') ? value.replaceAll('\u0000', '\ufffd') : value;
}

/** A type glob (`response.*`) becomes LIKE (`*` → %, `?` → _, the rest escaped); `*` or nothing means every type. */
function typeCondition(pattern: string | undefined, param: number): { sql: string; value: string } | null {
  if (pattern === undefined) return null;
  const like = globToLike(pattern);
  if (like === null) return null;
  if (!isGlob(pattern)) return { sql: `type = $${param}`, value: pattern };
  return { sql: `type LIKE $${param}`, value: like };
}

/** Oldest (or with `tail` newest) first after the cursor; one row more than asked, to tell has_more. */
export function listStatement(query: EventQuery, floorId: string) {
  const values: unknown[] = [floorId];
  const where = ['id >= $1'];
  if (query.source) {
    values.push(query.source);
    where.push(`source = $${values.length}`);
  }
  const type = typeCondition(query.type, values.length + 1);
  if (type) {
    values.push(type.value);
    where.push(type.sql);
  }
  if (query.after) {
    values.push(query.after);
    where.push(`id > $${values.length}`);
  }
  values.push(query.limit + 1);
  const order = query.tail ? 'DESC' : 'ASC'; // tail: the newest matches, put back in id order by the caller
  return {
    text: `SELECT ${EVENT_COLUMNS} FROM events WHERE ${where.join(' AND ')} ORDER BY id ${order} LIMIT $${values.length}`,
    values,
  };
}
