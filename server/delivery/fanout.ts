import { createHash } from 'node:crypto';
import type { Clock } from '../clock.ts';
import { base32, type IdFactory, idBody, idFloor, idTime } from '../ids.ts';
import type { Logger } from '../ops/logger.ts';
import { anyTypeMatches } from '../store/match.ts';
import type { EventStore, RelayEvent } from '../store/types.ts';
import type { DeliveryStore } from './delivery-store.ts';
import type { CursorStore, EndpointStore } from './endpoint-store.ts';
import type { DeliveryOrigin, DeliveryRow, EndpointRow } from './types.ts';

/**
 * Events published on the bus can be reordered slightly by group commit, so the cursor alone is not a
 * safe line: recovery rescans events from this long before it and relies on findForEvent to skip
 * deliveries that already exist.
 */
const RESCAN_MS = 60_000;
const BATCH = 2000;
/**
 * The cursor is written at most this often (and on stop): a lagging cursor only means a longer rescan
 * on start, never a missed event, while a write per small live batch cost a file rewrite each.
 */
const CURSOR_SAVE_MS = 1000;

export interface FanOutDeps {
  clock: Clock;
  newId: IdFactory;
  logger: Logger;
  store: DeliveryStore;
  endpoints: EndpointStore;
  cursor: CursorStore;
  events: Pick<EventStore, 'list'>;
  attempts: () => number;
  /**
   * Claims, stores and queues new deliveries; resolves with those it created (an id already stored,
   * or claimed by another instance, is skipped).
   */
  create(rows: DeliveryRow[]): Promise<DeliveryRow[]>;
}

export function endpointMatches(endpoint: EndpointRow, event: Pick<RelayEvent, 'id' | 'source' | 'type'>): boolean {
  if (!endpoint.enabled) return false;
  // An endpoint receives events from its creation on, not the history before it (that is what replay is for).
  if (idTime(event.id) < endpoint.created_at) return false;
  const { sources, types } = endpoint.filter;
  if (sources && sources.length > 0 && !sources.includes(event.source)) return false;
  return anyTypeMatches(types ?? undefined, event.type);
}

export function newDelivery(
  deps: Pick<FanOutDeps, 'clock' | 'newId' | 'attempts'>,
  event: Pick<RelayEvent, 'id' | 'source' | 'type'>,
  to: { endpointId: string } | { url: string; secret: string },
  origin: DeliveryOrigin,
): DeliveryRow {
  const now = deps.clock.now();
  return {
    id: origin === 'event' && 'endpointId' in to ? eventDeliveryId(to.endpointId, event.id) : deps.newId('dlv'),
    endpoint_id: 'endpointId' in to ? to.endpointId : null,
    target: 'url' in to ? { url: to.url, secret: to.secret } : null,
    event_id: event.id,
    source: event.source,
    event_type: event.type,
    origin,
    status: 'pending',
    attempts_left: deps.attempts(),
    manual: false,
    next_attempt_at: now,
    attempt_count: 0,
    attempts: [],
    last_status_code: null,
    last_error: null,
    created_at: now,
    updated_at: now,
    finished_at: null,
  };
}

/**
 * The id of the delivery a matching event makes for an endpoint: the same wherever and however often
 * it is computed, so fan-out that runs twice for an event (recovery after a restart, two instances
 * overlapping during a takeover) stores one delivery. It starts with the event id's time, so
 * deliveries still sort in event order.
 */
export function eventDeliveryId(endpointId: string, eventId: string): string {
  const tail = createHash('sha256').update(endpointId).digest().readUIntBE(0, 5);
  return `dlv_${idBody(eventId)}${base32(tail, 8)}`;
}

/**
 * Creates a delivery for every enabled endpoint that matches each stored event. Bus events are batched
 * (one durable write per batch); a persisted cursor records progress, and on start the events after it
 * are replayed from the event store, so an event acknowledged just before a crash still gets its
 * deliveries.
 */
export class FanOut {
  readonly #deps: FanOutDeps;
  #queue: RelayEvent[] = [];
  #draining: Promise<void> | null = null;
  #cursorWrite: Promise<void> | null = null;
  #cursorWanted: string | null = null;
  #cursorTimer: { clear(): void } | null = null;
  #recovering = false;
  #stopped = false;
  /** Set when a batch could not be stored: the cursor then stays put so recovery on start redoes it. */
  #stuck = false;

  constructor(deps: FanOutDeps) {
    this.#deps = deps;
  }

  /** Bus listener: never throws, never blocks ingest. */
  onEvent = (event: RelayEvent): void => {
    this.#queue.push(event);
    this.#draining ??= this.#drain().finally(() => {
      this.#draining = null;
    });
  };

  /**
   * Creates missing deliveries for events stored since shortly before the cursor, after `before`
   * (the previous leader's last cursor write, say). Live batches stop moving the cursor at once.
   */
  async recover(before: () => Promise<void> = async () => {}): Promise<number> {
    this.#recovering = true;
    try {
      await before();
      const created = await this.#recover();
      // Stopped part-way: the cursor stays where the recovery got to, so the next start goes on.
      if (this.#stopped) this.#stuck = true;
      return created;
    } catch (error) {
      this.#stuck = true; // as for a failed batch: the next start redoes it from the cursor
      throw error;
    } finally {
      this.#recovering = false;
    }
  }

  /**
   * Creates the deliveries of events stored since an endpoint's creation (an endpoint created on
   * another instance may reach this one's cache just after events that match it).
   */
  async catchUp(endpoint: EndpointRow): Promise<number> {
    let after: string | undefined = idFloor('evt', endpoint.created_at);
    let created = 0;
    for (let pages = 0; after !== undefined && !this.#stopped && pages < 1000; pages++) {
      const page = await this.#deps.events.list({ after, limit: 1000 });
      created += await this.#fanOut(page.data, false, [endpoint]);
      after = page.has_more && page.last_id ? page.last_id : undefined;
    }
    return created;
  }

  /** Makes a running recovery stop after its current page (the next start redoes the rest). */
  stop(): void {
    this.#stopped = true;
  }

  async #recover(): Promise<number> {
    const { cursor, endpoints, events } = this.#deps;
    const last = cursor.get();
    const firstEndpoint = Math.min(...endpoints.list().map((e) => e.created_at));
    if (!Number.isFinite(firstEndpoint)) return 0;
    const from = Math.max(firstEndpoint, last ? idTime(last) - RESCAN_MS : 0);
    let after: string | undefined = idFloor('evt', from);
    let created = 0;
    for (let pages = 0; after !== undefined && !this.#stopped && pages < 100_000; pages++) {
      const page = await events.list({ after, limit: 1000 });
      created += await this.#fanOut(page.data, true);
      after = page.has_more && page.last_id ? page.last_id : undefined;
    }
    return created;
  }

  /** Waits for queued events to be turned into deliveries and the cursor to be written. */
  async flush(): Promise<void> {
    while (this.#draining) await this.#draining;
    this.#cursorTimer?.clear();
    this.#cursorTimer = null;
    this.#writeCursor();
    while (this.#cursorWrite) await this.#cursorWrite;
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, BATCH);
      try {
        await this.#fanOut(batch, !this.#recovering);
      } catch (err) {
        this.#stuck = true;
        // The events are durable; recovery on the next start creates what this batch could not.
        this.#deps.logger.error({ err, events: batch.length }, 'could not create deliveries for a batch of events');
      }
    }
  }

  /**
   * `advance`: whether this batch may move the cursor. Live batches may not while a recovery runs:
   * the cursor must never pass events the recovery has not reached yet.
   */
  async #fanOut(events: RelayEvent[], advance: boolean, all = this.#deps.endpoints.list()): Promise<number> {
    const { store } = this.#deps;
    const rows: DeliveryRow[] = [];
    for (const event of events) {
      for (const endpoint of all) {
        if (!endpointMatches(endpoint, event) || store.findForEvent(endpoint.id, event.id)) continue;
        rows.push(newDelivery(this.#deps, event, { endpointId: endpoint.id }, 'event'));
      }
    }
    const created = rows.length > 0 ? await this.#deps.create(rows) : [];
    // With no endpoint at all the cursor is left as it is: recovery never starts before the first
    // endpoint's creation, so moving it would only rewrite the file every second for nothing.
    if (advance && this.#deps.endpoints.list().length > 0) {
      let maxId = '';
      for (const event of events) if (event.id > maxId) maxId = event.id;
      if (maxId) this.#advanceCursor(maxId);
    }
    return created.length;
  }

  /** Raises the value the next cursor write stores; that write happens within CURSOR_SAVE_MS. */
  #advanceCursor(eventId: string): void {
    if (this.#stuck) return;
    if (this.#cursorWanted !== null && eventId <= this.#cursorWanted) return;
    if ((this.#deps.cursor.get() ?? '') >= eventId) return;
    this.#cursorWanted = eventId;
    this.#cursorTimer ??= this.#deps.clock.setTimeout(() => {
      this.#cursorTimer = null;
      this.#writeCursor();
    }, CURSOR_SAVE_MS);
  }

  /** One cursor write at a time; values raised meanwhile are written by the same loop. */
  #writeCursor(): void {
    if (this.#stuck || this.#cursorWanted === null) return;
    this.#cursorWrite ??= (async () => {
      while (this.#cursorWanted !== null && this.#cursorWanted > (this.#deps.cursor.get() ?? '')) {
        await this.#deps.cursor.set(this.#cursorWanted);
      }
    })()
      .catch((err: unknown) => this.#deps.logger.error({ err }, 'could not save the fan-out cursor'))
      .finally(() => {
        this.#cursorWrite = null;
      });
  }
}
