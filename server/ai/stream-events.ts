/** A Responses stream event before it gets its sequence number. `type` comes first in every frame. */
export type StreamEvent = { type: string } & Record<string, unknown>;

/**
 * How events are kept: a text delta of the message (the bulk of every stream) as just its text, any
 * other event as the object. A stored delta then costs its text, not a ~200-byte JSON frame, which
 * keeps a week of streams small in memory and on disk; frames are rebuilt only when replayed.
 */
export type CompactEvent = string | StreamEvent;

export interface CompactRun {
  /** The message item the string entries belong to. */
  item_id: string | null;
  events: CompactEvent[];
}

const DELTA = 'response.output_text.delta';

/** A delta that can be kept as just its text (see CompactEvent). */
export function isPlainDelta(e: StreamEvent): boolean {
  return (
    e.type === DELTA &&
    e.output_index === 0 &&
    e.content_index === 0 &&
    typeof e.delta === 'string' &&
    typeof e.item_id === 'string' &&
    Array.isArray(e.logprobs) &&
    e.logprobs.length === 0
  );
}

/** The JSON text of one event as sent in `data:`, with its sequence number last. */
export function frameOf(event: CompactEvent, seq: number, itemId: string | null): string {
  if (typeof event === 'string') {
    return `{"type":"${DELTA}","item_id":${JSON.stringify(itemId)},"output_index":0,"content_index":0,"delta":${JSON.stringify(event)},"logprobs":[],"sequence_number":${seq}}`;
  }
  const json = JSON.stringify(event);
  return `${json.slice(0, -1)}${json.length > 2 ? ',' : ''}"sequence_number":${seq}}`;
}

/** One stored stream event: its sequence number and its SSE frame as sent. */
export interface StoredFrame {
  seq: number;
  frame: string;
}

/** A reader of a response's stream (an SSE response, a tail): gets frames once they are stored. */
export interface StreamSink {
  write(frames: StoredFrame[]): void;
  end(): void;
}
