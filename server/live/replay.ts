import type { EventBus } from '../bus.ts';
import type { EventStore, RelayEvent } from '../store/types.ts';
import { catchUp, findGap, type Gap } from './catch-up.ts';
import type { StreamConfig } from './config.ts';
import { filterMatches, type StreamFilter, storeQuery } from './filter.ts';

/** How one transport writes to one subscriber while it catches up. */
export interface ReplayTarget {
  /** Sent first when the cursor sorts before the oldest kept event. */
  gap(gap: Gap): void;
  /** Sends one stored event; resolves when the subscriber can take more. */
  replay(event: RelayEvent): void | Promise<void>;
  /** The subscriber went away (or changed its subscription): stop. */
  closed(): boolean;
  /** Sends the events that arrived meanwhile and joins live delivery, in one synchronous step. */
  goLive(pending: RelayEvent[]): void;
}

export interface ReplaySource {
  store: EventStore;
  bus: EventBus;
  config: Pick<StreamConfig, 'replayPageSize' | 'maxPendingEvents'>;
}

/**
 * Replay-then-go-live for a subscriber resuming after `after`, the same for SSE and Socket.IO: a gap
 * notice if retention dropped part of what it missed, the stored events its filter matches, then live
 * events with no gap and no duplicate (see catchUp).
 */
export async function replayThenGoLive(
  source: ReplaySource,
  filter: StreamFilter,
  after: string,
  target: ReplayTarget,
): Promise<void> {
  const gap = await findGap(source.store, after);
  if (gap) target.gap(gap);
  await catchUp({
    store: source.store,
    bus: source.bus,
    after,
    query: storeQuery(filter),
    matches: (event) => filterMatches(filter, event),
    replay: (event) => target.replay(event),
    closed: () => target.closed(),
    goLive: (pending) => target.goLive(pending),
    pageSize: source.config.replayPageSize,
    maxPending: source.config.maxPendingEvents,
  });
}
