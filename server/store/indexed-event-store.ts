import { createIdFactory, type IdFactory } from '../ids.ts';
import { EventIndex, type IndexedEvent } from './event-index.ts';
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
  protected abstract persist(entry: IndexedEvent): Promise<void>;
  protected abstract persistRejection(rejection: Rejection): Promise<void>;
  abstract writable(): Promise<boolean>;

  async append(input: NewEvent): Promise<AppendResult> {
    const key = EventIndex.dedupeKey(input.source, input.provider_id);
    if (key) {
      const firstId = this.index.findDuplicate(input.source, input.provider_id);
      const first = firstId ? this.index.get(firstId) : undefined;
      if (first) return { event: first.event, duplicate: true };
      const pending = this.#inflight.get(key);
      if (pending) return { event: (await pending).event, duplicate: true };
    }
    const entry = this.index.build(input, this.newId);
    const stored = this.persist(entry).then(() => {
      this.index.add(entry);
      this.retain();
      return { event: entry.event, duplicate: false };
    });
    if (key) {
      this.#inflight.set(key, stored);
      stored.then(
        () => this.#inflight.delete(key),
        () => this.#inflight.delete(key),
      );
    }
    return stored;
  }

  /**
   * Applies retention: after every append, and before reads so that age-based expiry holds on a quiet
   * relay too. Stores with files override this to drop what the index dropped.
   */
  protected retain(): number {
    return this.index.applyRetention();
  }

  async get(id: string): Promise<RelayEvent | undefined> {
    return this.index.get(id)?.event;
  }

  async getRaw(id: string): Promise<RawBody | undefined> {
    return this.index.get(id)?.body;
  }

  async list(query: EventQuery): Promise<EventPage> {
    this.retain();
    return this.index.list(query);
  }

  async oldestId(): Promise<string | null> {
    this.retain();
    return this.index.oldestId();
  }

  async count(): Promise<number> {
    this.retain();
    return this.index.size;
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
