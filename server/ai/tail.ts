import type { Clock } from '../clock.ts';
import { isTerminal } from './response-object.ts';
import type { ResponseStore } from './response-store.ts';
import type { StoredFrame, StreamSink } from './stream-events.ts';

const TERMINAL_EVENTS = new Set(['response.completed', 'response.failed', 'response.incomplete', 'response.cancelled']);

/**
 * How long a reader waits for the terminal stream event after the row shows a terminal status: the
 * instance that finishes a response writes both at once, so they reach the other instances close
 * together; one that crashed between the two writes would otherwise leave the reader waiting for good.
 */
export const TERMINAL_GRACE_MS = 5000;

/** The event type of a stored frame (`type` is its first key, see frameOf). */
function typeOf(frame: string): string {
  return frame.slice(9, frame.indexOf('"', 9));
}

/**
 * Replays the stored events of a response this instance does not run, and keeps reading them as the
 * instance that runs it (or takes it over) stores more, until the terminal event: each event once, in
 * order. The row and the stream are separate tables, so another instance's terminal row can show here
 * a moment before the last events: the reader waits for the terminal event (bounded, see above).
 */
export function tailStored(store: ResponseStore, id: string, after: number, sink: StreamSink, clock: Clock): () => void {
  let last = after;
  let ended = false;
  let grace: { clear(): void } | undefined;
  let unwatch = () => {};
  const end = () => {
    if (ended) return;
    ended = true;
    unwatch();
    grace?.clear();
    sink.end();
  };
  /** Everything stored was delivered (or skipped by starting_after), and the last event is terminal. */
  const streamEnded = () => {
    const count = store.eventCount(id);
    if (count === 0 || last < count - 1) return false;
    const final = store.eventsAfter(id, count - 2).at(-1);
    return final !== undefined && TERMINAL_EVENTS.has(typeOf(final.frame));
  };
  const deliver = () => {
    const fresh = store.eventsAfter(id, last).filter((f: StoredFrame) => f.seq > last);
    if (fresh.length > 0) {
      last = (fresh.at(-1) as StoredFrame).seq;
      sink.write(fresh);
    }
    const row = store.get(id);
    if (!row || streamEnded()) return end();
    if (isTerminal(row.response.status)) grace ??= clock.setTimeout(end, TERMINAL_GRACE_MS);
  };
  unwatch = store.watch(id, () => {
    if (!ended) deliver();
  });
  deliver();
  return () => {
    ended = true;
    unwatch();
    grace?.clear();
  };
}
