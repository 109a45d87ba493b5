import type { AwaitedEvent, EventWait } from '../../plugins/sdk.ts';
import type { EventBus } from '../bus.ts';
import { type Clock, sleep } from '../clock.ts';
import { idBefore } from '../ids.ts';
import { anyTypeMatches } from '../store/match.ts';
import type { EventStore, RelayEvent } from '../store/types.ts';

// The engine's two durable waiting primitives. Both are plain promises here; what makes them durable is
// that the run is saved as waiting before they start and re-enters the same step after a restart, with
// the same step start time, so the same due time and lookback window apply.

/** At most this many stored events are scanned for one wait's lookback (and downtime) window. */
export const LOOKBACK_SCAN_LIMIT = 10_000;

export class Aborted extends Error {
  constructor(reason: unknown) {
    super(reason instanceof Error ? reason.message : 'aborted');
    this.name = 'Aborted';
  }
}

/** Abort reason on shutdown: the run is left unfinished in the store and resumes on the next start. */
export class StopSignal extends Error {
  constructor() {
    super('relay stopping');
    this.name = 'StopSignal';
  }
}

/** Waits on the clock until `at`; an abort rejects with Aborted (see clock.ts sleep). */
export function sleepUntil(clock: Clock, at: number, signal: AbortSignal): Promise<void> {
  return sleep(clock, Math.max(0, at - clock.now()), signal).catch((reason: unknown) => {
    throw new Aborted(reason);
  });
}

const toAwaited = (e: RelayEvent): AwaitedEvent => ({
  id: e.id,
  source: e.source,
  type: e.type,
  received_at: e.received_at,
  payload: e.payload,
  headers: e.headers,
});

function fits(wait: EventWait, event: RelayEvent): boolean {
  if (wait.source && event.source !== wait.source) return false;
  const types = wait.type === undefined ? undefined : Array.isArray(wait.type) ? wait.type : [wait.type];
  return anyTypeMatches(types, event.type);
}

async function matches(wait: EventWait, event: RelayEvent): Promise<boolean> {
  if (!fits(wait, event)) return false;
  return wait.match ? wait.match(toAwaited(event)) : true;
}

/**
 * Subscribes first, then scans the store from `since`, then takes live events (buffered meanwhile), so
 * an event that lands while the wait starts is never lost between the two.
 */
export async function waitForEvent(
  deps: { clock: Clock; bus: EventBus; store: EventStore },
  wait: EventWait,
  signal: AbortSignal,
): Promise<AwaitedEvent | null> {
  if (signal.aborted) throw new Aborted(signal.reason);
  const live: RelayEvent[] = [];
  let wake: (() => void) | null = null;
  // Every instance's events: the awaited one may be ingested by another instance sharing the store.
  const unsubscribe = deps.bus.subscribe(
    (event) => {
      if (!fits(wait, event)) return;
      live.push(event);
      wake?.();
    },
    { everyInstance: true },
  );
  let timedOut = false;
  const timer = deps.clock.setTimeout(
    () => {
      timedOut = true;
      wake?.();
    },
    Math.max(0, wait.until - deps.clock.now()),
  );
  const onAbort = () => wake?.();
  signal.addEventListener('abort', onAbort);
  try {
    const seen = new Set<string>();
    const stored = await scan(deps.store, wait, seen);
    if (stored) return toAwaited(stored);
    for (;;) {
      while (live.length > 0) {
        const event = live.shift()!;
        if (seen.has(event.id)) continue;
        seen.add(event.id);
        if (await matches(wait, event)) return toAwaited(event);
      }
      if (signal.aborted) throw new Aborted(signal.reason);
      if (timedOut) return null;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      wake = null;
    }
  } finally {
    unsubscribe();
    timer.clear();
    signal.removeEventListener('abort', onAbort);
  }
}

async function scan(store: EventStore, wait: EventWait, seen: Set<string>): Promise<RelayEvent | null> {
  const singleType = typeof wait.type === 'string' ? wait.type : undefined;
  let after = idBefore('evt', wait.since);
  let scanned = 0;
  while (scanned < LOOKBACK_SCAN_LIMIT) {
    const page = await store.list({ source: wait.source, type: singleType, after, limit: 500 });
    for (const event of page.data) {
      seen.add(event.id);
      if (Date.parse(event.received_at) >= wait.since && (await matches(wait, event))) return event;
    }
    scanned += page.data.length;
    if (!page.has_more || !page.last_id) return null;
    after = page.last_id;
  }
  return null;
}
