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

/**
 * One statement: insert unless (source, provider_id) exists, and announce the new id to other
 * instances. NOTIFY inside the statement is sent on commit, so listeners never see an uncommitted id.
 * JSON columns get their text explicitly (node-postgres would turn a JS array into a PostgreSQL array).
 */
export function insertStatement(event: RelayEvent, input: NewEvent, channel: string, instance: string) {
  return {
    text: `WITH inserted AS (
        INSERT INTO events (id, source, type, received_at, provider_id, headers, payload, verified, raw, content_type, stored_by)
        VALUES ($1, $2, $3, $4, $5, $6::json, $7::json, $8::json, $9, $10, $13)
        ON CONFLICT (source, provider_id) WHERE provider_id IS NOT NULL DO NOTHING
        RETURNING id)
      SELECT id, pg_notify($11, $12 || id) FROM inserted`,
    values: [
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
      channel,
      `${instance} `,
      instance,
    ],
  };
}

/**
 * PostgreSQL text cannot hold U+0000, which a payload's `type` or id may contain; it is stored as
 * U+FFFD. (JSON columns keep it: they hold the escaped text.)
 */
export function textValue(value: string): string {
  return value.includes('\u0000') ? value.replaceAll('\u0000', '\ufffd') : value;
}

/** `response.*` becomes a LIKE prefix with %, _ and \ escaped; `*` or nothing means every type. */
function typeCondition(pattern: string | undefined, param: number): { sql: string; value: string } | null {
  if (pattern === undefined || pattern === '' || pattern === '*') return null;
  if (!pattern.endsWith('*')) return { sql: `type = $${param}`, value: pattern };
  const prefix = pattern.slice(0, -1).replace(/[\\%_]/g, (c) => `\\${c}`);
  return { sql: `type LIKE $${param}`, value: `${prefix}%` };
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
