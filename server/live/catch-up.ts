import type { EventBus } from '../bus.ts';
import type { EventQuery, EventStore, RelayEvent } from '../store/types.ts';

export interface CatchUpOptions {
  store: EventStore;
  bus: EventBus;
  /** The last event the subscriber has; replay starts after it. */
  after: string;
  query: Pick<EventQuery, 'source' | 'type'>;
  matches(event: RelayEvent): boolean;
  /** Sends one stored event; resolves when the subscriber can take more (its own backpressure). */
  replay(event: RelayEvent): void | Promise<void>;
  /** The subscriber went away: stop reading. */
  closed(): boolean;
  /** Called synchronously once the backlog is sent, with the live events that arrived meanwhile (in id order). */
  goLive(pending: RelayEvent[]): void;
  pageSize: number;
  maxPending: number;
}

export interface Gap {
  after: string;
  oldest_id: string;
}

/** A cursor that sorts before the oldest kept event may have missed events that retention dropped. */
export async function findGap(store: EventStore, after: string): Promise<Gap | null> {
  const oldest = await store.oldestId();
  return oldest !== null && after < oldest ? { after, oldest_id: oldest } : null;
}

/**
 * Replays stored events after a cursor, then hands over to live delivery with no gap and no duplicate.
 * The bus is subscribed *before* the first read, so an event stored while the backlog is read is
 * either in a page or pending, never neither; pending events at or below the last replayed id are
 * dropped (an event can be in a page and still be published a moment later). Pending events are
 * bounded: on overflow they are dropped and the store is read again, which is safe because every
 * published event is already stored. The switch to live happens in one synchronous step.
 */
export async function catchUp(options: CatchUpOptions): Promise<void> {
  const pending = new Map<string, RelayEvent>();
  let replayed = options.after;
  let overflowed = false;
  const unsubscribe = options.bus.subscribe(
    (event) => {
      if (event.id <= replayed || !options.matches(event)) return;
      if (pending.size >= options.maxPending) {
        pending.clear();
        overflowed = true;
      }
      pending.set(event.id, event);
    },
    { everyInstance: true },
  );
  try {
    let cursor = options.after;
    for (;;) {
      overflowed = false;
      const page = await options.store.list({ ...options.query, after: cursor, limit: options.pageSize });
      for (const event of page.data) {
        if (options.closed()) return;
        replayed = event.id;
        if (options.matches(event)) await options.replay(event);
      }
      cursor = page.last_id ?? cursor;
      if (cursor > replayed) replayed = cursor;
      // Dropped pending events are stored: read on until a page ends with nothing dropped since it was read.
      if (!page.has_more && !overflowed) break;
    }
    if (options.closed()) return;
    const rest = [...pending.values()].filter((e) => e.id > replayed).sort((a, b) => (a.id < b.id ? -1 : 1));
    options.goLive(rest);
  } finally {
    unsubscribe();
  }
}
