import { isUtf8 } from 'node:buffer';
import type { RawBody, RelayEvent } from './types.ts';

/**
 * One stored event as a single JSON line: `{"e": event, "c": content type, "t": the original bytes as
 * text}`, or `"r": base64` instead of `"t"` when the bytes are not valid UTF-8 (valid UTF-8 decodes and
 * encodes back to exactly the same bytes; base64 would cost a third more for the usual JSON body). The embedded stores keep this string in memory as well as on disk: one flat string per event
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
  t?: string;
  r?: string;
}

export function encodeEvent(event: RelayEvent, body: RawBody): StoredEvent {
  const { raw, content_type: c } = body;
  const line = JSON.stringify(
    (isUtf8(raw) ? { e: event, c, t: raw.toString('utf8') } : { e: event, c, r: raw.toString('base64') }) satisfies EventLine,
  );
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
  const { c, t, r } = JSON.parse(stored.line) as EventLine;
  return { raw: t === undefined ? Buffer.from(r ?? '', 'base64') : Buffer.from(t, 'utf8'), content_type: c };
}
