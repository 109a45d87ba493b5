import { buildEvent } from './build-event.ts';
import { createIdFactory, type IdFactory } from '../ids.ts';
import { EventIndex } from './event-index.ts';
import { bodyOf, encodeEvent, eventOf, type StoredEvent } from './event-line.ts';
import type {
  AppendResult,
  EventPage,
  EventQuery,
  EventStore,
  NewEvent,
  RawBody,
  Rejection,
  RelayEvent,
  RetentionPolicy,
} from './types.ts';

export interface IndexedStoreOptions {
  retention: RetentionPolicy;
  now?: () => number;
  newId?: IdFactory;
  maxRejections?: number;
}

/**
 * Append, de-duplication and queries over an EventIndex; subclasses decide how an event becomes
 * durable (`persist`) and how rejections are kept.
 */
export abstract class IndexedEventStore implements EventStore {
  protected readonly index: EventIndex;
  protected readonly newId: IdFactory;
  protected readonly now: () => number;
  protected readonly maxRejections: number;
  protected rejections: Rejection[] = [];
  #inflight = new Map<string, Promise<AppendResult>>();

  constructor(options: IndexedStoreOptions) {
    this.now = options.now ?? Date.now;
    this.newId = options.newId ?? createIdFactory(this.now);
    this.index = new EventIndex(options.retention, this.now);
    this.maxRejections = options.maxRejections ?? 1000;
  }

  abstract open(): Promise<void>;
  abstract close(): Promise<void>;
  /** Makes the event durable; may replace `line` with the place it was written to. */
  protected abstract persist(stored: StoredEvent & { line: string }): Promise<void>;

  /** The stored lines of these entries (undefined where an entry is gone). */
  protected async lines(entries: StoredEvent[]): Promise<Array<string | undefined>> {
    return entries.map((entry) => entry.line);
  }

  /** The stored line of one entry; stores with files override this to group concurrent reads. */
  protected async lineOf(entry: StoredEvent): Promise<string | undefined> {
    return (await this.lines([entry]))[0];
  }

  async #line(entry: StoredEvent | undefined): Promise<string | undefined> {
    return entry && this.lineOf(entry);
  }
  protected abstract persistRejection(rejection: Rejection): Promise<void>;
  abstract writable(): Promise<boolean>;

  /** The last append, settled either way: the next one settles after it (see append). */
  #previous: Promise<unknown> = Promise.resolve();

  async append(input: NewEvent): Promise<AppendResult> {
    const key = EventIndex.dedupeKey(input.source, input.provider_id);
    if (key) {
      // Awaited only when there is something to read: a new event goes on to its write in this turn.
      const found = this.index.findDuplicate(key);
      const first = found && (await this.lineOf(found));
      if (first) return { event: eventOf(first), duplicate: true };
      const pending = this.#inflight.get(key);
      if (pending) return { event: (await pending).event, duplicate: true };
    }
    const event = this.#build(input);
    const stored = encodeEvent(
      event,
      { raw: input.raw, content_type: input.content_type, client_ip: input.client_ip },
      input.payload_json,
    );
    const persisted = this.persist(stored);
    persisted.catch(() => {}); // its outcome is the append's, below; meanwhile it is not unhandled
    // Appends settle in id order even when their writes become durable together (one group commit)
    // but reach here through different numbers of promise steps (a write queued behind a segment roll
    // next to one that was not): whoever publishes after an append then publishes in id order, as
    // live subscribers and their cursors require (a cursor past an event not yet sent would skip it).
    const appended = this.#previous
      .then(() => persisted)
      .then(
        () => {
          if (key) this.#inflight.delete(key);
          this.index.add(stored, key);
          this.retain();
          return { event, duplicate: false };
        },
        (error: unknown) => {
          if (key) this.#inflight.delete(key);
          throw error;
        },
      );
    this.#previous = appended.catch(() => {});
    if (key) this.#inflight.set(key, appended);
    return appended;
  }

  #build(input: NewEvent): RelayEvent {
    return buildEvent(input, this.newId);
  }

  /**
   * Applies retention: after every append, and before reads so that age-based expiry holds on a quiet
   * relay too. Stores with files override this to drop what the index dropped.
   */
  protected retain(): number {
    return this.index.applyRetention();
  }

  async get(id: string): Promise<RelayEvent | undefined> {
    this.retain();
    const line = await this.#line(this.index.get(id));
    return line === undefined ? undefined : eventOf(line);
  }

  async getRaw(id: string): Promise<RawBody | undefined> {
    this.retain();
    const line = await this.#line(this.index.get(id));
    return line === undefined ? undefined : bodyOf(line);
  }

  async list(query: EventQuery): Promise<EventPage> {
    this.retain();
    const { entries, hasMore } = this.index.select(query);
    const data: RelayEvent[] = [];
    for (const line of await this.lines(entries)) if (line !== undefined) data.push(eventOf(line));
    return { data, has_more: hasMore, last_id: entries.at(-1)?.id ?? null };
  }

  async oldestId(): Promise<string | null> {
    this.retain();
    return this.index.oldestId();
  }

  async count(): Promise<number> {
    this.retain();
    return this.index.size;
  }

  async countBySource(after: string): Promise<Record<string, number>> {
    this.retain();
    return this.index.countBySource(after);
  }

  async recordRejection(rejection: Rejection): Promise<void> {
    this.rejections.push(rejection);
    if (this.rejections.length > this.maxRejections) this.rejections.splice(0, this.rejections.length - this.maxRejections);
    await this.persistRejection(rejection);
  }

  async listRejections(query: { source?: string; limit: number }): Promise<Rejection[]> {
    const out: Rejection[] = [];
    for (let i = this.rejections.length - 1; i >= 0 && out.length < query.limit; i--) {
      const r = this.rejections[i];
      if (!query.source || r.source === query.source) out.push(r);
    }
    return out;
  }
}
