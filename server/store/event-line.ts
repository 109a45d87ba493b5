import type { RawBody, RelayEvent } from './types.ts';

/**
 * One stored event as a single JSON line: `{"e": event, "c": content type, "r": base64 of the original
 * bytes}`. The embedded stores keep this string in memory as well as on disk: one flat string per event
 * costs the garbage collector nothing to trace, where the parsed object graph (payload, headers, a
 * Buffer) made major collections pause the relay once tens of thousands of events were kept.
 */
export interface StoredEvent {
  id: string;
  source: string;
  type: string;
  providerId: string | null;
  line: string;
}

interface EventLine {
  e: RelayEvent;
  c: string;
  r: string;
}

export function encodeEvent(event: RelayEvent, body: RawBody): StoredEvent {
  const line = JSON.stringify({ e: event, c: body.content_type, r: body.raw.toString('base64') } satisfies EventLine);
  return { id: event.id, source: event.source, type: event.type, providerId: event.provider_id, line };
}

/** `parsed` is the line already parsed (as when loading a file); `line` is kept as it is. */
export function storedFrom(line: string, parsed: unknown): StoredEvent {
  const { e } = parsed as EventLine;
  if (typeof e?.id !== 'string' || typeof e.source !== 'string') throw new Error('not a stored event');
  return { id: e.id, source: e.source, type: e.type, providerId: e.provider_id ?? null, line };
}

export function eventOf(stored: StoredEvent): RelayEvent {
  return (JSON.parse(stored.line) as EventLine).e;
}

export function bodyOf(stored: StoredEvent): RawBody {
  const { c, r } = JSON.parse(stored.line) as EventLine;
  return { raw: Buffer.from(r, 'base64'), content_type: c };
}
