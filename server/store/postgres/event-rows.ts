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

/** NOTIFY payloads must stay under 8,000 bytes; an event whose payload would not fit is announced by id. */
const MAX_NOTIFY_BYTES = 7900;

/**
 * One statement for several events: insert each unless its (source, provider_id) exists (also earlier
 * in the same statement), and announce each new one to other instances (`carryEvents`: with the event
 * itself when it fits, for when other instances read the notices). NOTIFY inside the statement is
 * sent on commit, so listeners never see an uncommitted id. JSON columns get their text explicitly
 * (node-postgres would turn a JS array into a PostgreSQL array).
 */
export function insertStatement(rows: readonly NewRow[], channel: string, instance: string, carryEvents = true) {
  const values: unknown[] = [channel, instance, [], []];
  const ids: string[] = [];
  const notices: string[] = [];
  const tuples = rows.map(({ event, input }) => {
    const at = values.length;
    const columns = {
      type: textValue(event.type),
      providerId: event.provider_id === null ? null : textValue(event.provider_id),
      headers: JSON.stringify(event.headers),
      payload: JSON.stringify(event.payload ?? null),
      verified: JSON.stringify(event.verified),
    };
    values.push(
      event.id,
      event.source,
      columns.type,
      event.received_at,
      columns.providerId,
      columns.headers,
      columns.payload,
      columns.verified,
      input.raw,
      input.content_type,
      input.client_ip ?? null,
    );
    ids.push(event.id);
    notices.push(carryEvents ? newEventNotice(instance, event, columns) : `${instance} ${event.id}`);
    const p = (n: number) => `$${at + n}`;
    return `(${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, ${p(5)}, ${p(6)}::json, ${p(7)}::json, ${p(8)}::json, ${p(9)}, ${p(10)}, ${p(11)}, $2)`;
  });
  values[2] = ids;
  values[3] = notices;
  return {
    text: `WITH inserted AS (
        INSERT INTO events (id, source, type, received_at, provider_id, headers, payload, verified, raw, content_type, client_ip, stored_by)
        VALUES ${tuples.join(', ')}
        ON CONFLICT (source, provider_id) WHERE provider_id IS NOT NULL DO NOTHING
        RETURNING id)
      SELECT i.id, pg_notify($1, n.notice) FROM inserted i JOIN unnest($3::text[], $4::text[]) AS n(id, notice) ON n.id = i.id
      ORDER BY i.id`,
    values,
  };
}

/**
 * What a new event's NOTIFY says: `<instance> <id>`, then the event as it reads back from its row
 * (the same column texts) when that fits in a NOTIFY, so other instances need not read the row.
 * Readers that only know `<instance> <id>` read the first two words and load the row.
 */
function newEventNotice(
  instance: string,
  event: RelayEvent,
  columns: { type: string; providerId: string | null; headers: string; payload: string; verified: string },
): string {
  const head = `${instance} ${event.id}`;
  const json =
    `{"id":${JSON.stringify(event.id)},"source":${JSON.stringify(event.source)},"type":${JSON.stringify(columns.type)},` +
    `"received_at":${JSON.stringify(event.received_at)},"provider_id":${JSON.stringify(columns.providerId)},` +
    `"headers":${columns.headers},"payload":${columns.payload},"verified":${columns.verified}}`;
  const notice = `${head} ${json}`;
  // Bytes, not characters: one character may take up to three bytes; measure only when it could matter.
  return notice.length * 3 <= MAX_NOTIFY_BYTES || Buffer.byteLength(notice) <= MAX_NOTIFY_BYTES ? notice : head;
}

/** A new event's NOTIFY read back: who stored it, its id, and the event's JSON when the notice carries it. */
export function readEventNotice(notice: string): { from: string; id: string; json?: string } | null {
  const first = notice.indexOf(' ');
  if (first < 0) return null;
  const second = notice.indexOf(' ', first + 1);
  const from = notice.slice(0, first);
  const id = second < 0 ? notice.slice(first + 1) : notice.slice(first + 1, second);
  if (!id) return null;
  return second < 0 ? { from, id } : { from, id, json: notice.slice(second + 1) };
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
