import { isUtf8 } from 'node:buffer';
import type { RawBody, RelayEvent } from './types.ts';

/**
 * One stored event as a single JSON line: `{"e": event, "c": content type, "t": the original bytes as
 * text}`, or `"r": base64` instead of `"t"` when the bytes are not valid UTF-8 (valid UTF-8 decodes and
 * encodes back to exactly the same bytes; base64 would cost a third more for the usual JSON body).
 *
 * What the index keeps per event: the fields queries filter on, and where the line is. The memory store
 * keeps the line itself; the file store keeps only the segment and byte range and reads the line back
 * when asked, so memory per event does not grow with the body and the collector has little to trace.
 */
export interface StoredEvent {
  id: string;
  source: string;
  type: string;
  providerId: string | null;
  line?: string;
  place?: LinePlace;
}

export interface LinePlace {
  file: string;
  offset: number;
  length: number;
}

interface EventLine {
  e: RelayEvent;
  c: string;
  /** The client address, when known. */
  i?: string;
  t?: string;
  r?: string;
}

/**
 * `payloadJson`: the payload's JSON text, when the producer has it (NewEvent.payload_json). Written as
 * it is, the line reads back the same event as when the payload is encoded again, and spares that
 * encoding, the largest part of a webhook's line (docs/store.md). Text with a line break cannot go
 * into a JSON line as it is and is encoded again.
 */
export function encodeEvent(event: RelayEvent, body: RawBody, payloadJson?: string): StoredEvent & { line: string } {
  const { raw, content_type: c } = body;
  const i = body.client_ip ?? undefined;
  const text = isUtf8(raw) ? raw.toString('utf8') : undefined;
  const line =
    payloadJson !== undefined && !payloadJson.includes('\n')
      ? lineWithPayloadText(event, payloadJson, text === undefined ? { c, i, r: raw.toString('base64') } : { c, i, t: text })
      : JSON.stringify(
          (text === undefined ? { e: event, c, i, r: raw.toString('base64') } : { e: event, c, i, t: text }) satisfies EventLine,
        );
  return { id: event.id, source: event.source, type: event.type, providerId: event.provider_id, line, place: undefined };
}

/** What JSON.stringify writes for `{e: event, ...rest}`, with `payloadJson` standing for the payload. */
function lineWithPayloadText(event: RelayEvent, payloadJson: string, rest: Omit<EventLine, 'e'>): string {
  const { id, source, type, received_at, provider_id, headers, verified } = event;
  // RelayEvent's fields in buildEvent's order, payload between headers and verified.
  const head = JSON.stringify({ id, source, type, received_at, provider_id, headers });
  return `{"e":${head.slice(0, -1)},"payload":${payloadJson},"verified":${JSON.stringify(verified)}},${JSON.stringify(rest).slice(1)}`;
}

/** The index entry for a line read from a file (`parsed` is that line, parsed). */
export function storedFrom(parsed: unknown, place: LinePlace): StoredEvent {
  const { e } = parsed as EventLine;
  if (typeof e?.id !== 'string' || typeof e.source !== 'string') throw new Error('not a stored event');
  return { id: e.id, source: e.source, type: e.type, providerId: e.provider_id ?? null, line: undefined, place };
}

export function eventOf(line: string): RelayEvent {
  return (JSON.parse(line) as EventLine).e;
}

export function bodyOf(line: string): RawBody {
  const { c, t, r, i } = JSON.parse(line) as EventLine;
  return {
    raw: t === undefined ? Buffer.from(r ?? '', 'base64') : Buffer.from(t, 'utf8'),
    content_type: c,
    client_ip: i ?? null,
  };
}
