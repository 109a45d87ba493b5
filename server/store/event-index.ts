import type { IdFactory } from '../ids.ts';
import { idTime } from '../ids.ts';
import { typeMatches } from './match.ts';
import type { EventPage, EventQuery, NewEvent, RawBody, RelayEvent, RetentionPolicy } from './types.ts';

export interface IndexedEvent {
  event: RelayEvent;
  body: RawBody;
}

const DAY_MS = 86_400_000;

/**
 * The in-memory view of stored events that both embedded stores share: id order, lookup by id,
 * de-duplication keys and retention. Memory stays bounded by the retention policy.
 */
export class EventIndex {
  #order: string[] = [];
  #head = 0;
  #byId = new Map<string, IndexedEvent>();
  #byProviderKey = new Map<string, string>();

  private readonly retention: RetentionPolicy;
  private readonly now: () => number;

  constructor(retention: RetentionPolicy, now: () => number) {
    this.retention = retention;
    this.now = now;
  }

  static dedupeKey(source: string, providerId: string | null): string | null {
    return providerId ? `${source}\u0000${providerId}` : null;
  }

  build(input: NewEvent, newId: IdFactory): IndexedEvent {
    const id = newId('evt');
    const event: RelayEvent = {
      id,
      source: input.source,
      type: input.type,
      received_at: new Date(idTime(id)).toISOString(),
      provider_id: input.provider_id,
      headers: input.headers,
      payload: input.payload,
      verified: input.verified,
    };
    return { event, body: { raw: input.raw, content_type: input.content_type } };
  }

  findDuplicate(source: string, providerId: string | null): string | undefined {
    const key = EventIndex.dedupeKey(source, providerId);
    return key ? this.#byProviderKey.get(key) : undefined;
  }

  add(entry: IndexedEvent): void {
    const { event } = entry;
    const last = this.#order.at(-1);
    // Appends are acknowledged in id order, so this is a push; the splice keeps cursors right regardless.
    if (last === undefined || last < event.id) this.#order.push(event.id);
    else this.#order.splice(this.#firstAfter(event.id), 0, event.id);
    this.#byId.set(event.id, entry);
    const key = EventIndex.dedupeKey(event.source, event.provider_id);
    if (key) this.#byProviderKey.set(key, event.id);
  }

  get(id: string): IndexedEvent | undefined {
    return this.#byId.get(id);
  }

  get size(): number {
    return this.#order.length - this.#head;
  }

  oldestId(): string | null {
    return this.#order[this.#head] ?? null;
  }

  /** Drops the oldest events beyond the policy; returns how many were dropped. Cheap when none are. */
  applyRetention(): number {
    const cutoff = this.now() - this.retention.maxAgeDays * DAY_MS;
    let dropped = 0;
    while (this.size > 0) {
      const id = this.#order[this.#head];
      if (this.size <= this.retention.maxEvents && idTime(id) >= cutoff) break;
      this.#evict(id);
      this.#head++;
      dropped++;
    }
    // Reclaim the dropped prefix of the order array once it is the larger part.
    if (this.#head > 4096 && this.#head * 2 > this.#order.length) {
      this.#order = this.#order.slice(this.#head);
      this.#head = 0;
    }
    return dropped;
  }

  #evict(id: string): void {
    const entry = this.#byId.get(id);
    this.#byId.delete(id);
    if (!entry) return;
    const key = EventIndex.dedupeKey(entry.event.source, entry.event.provider_id);
    if (key && this.#byProviderKey.get(key) === id) this.#byProviderKey.delete(key);
  }

  list(query: EventQuery): EventPage {
    const data: RelayEvent[] = [];
    let i = query.after ? this.#firstAfter(query.after) : this.#head;
    let hasMore = false;
    for (; i < this.#order.length; i++) {
      const entry = this.#byId.get(this.#order[i]);
      if (!entry) continue;
      const { event } = entry;
      if (query.source && event.source !== query.source) continue;
      if (!typeMatches(query.type, event.type)) continue;
      if (data.length === query.limit) {
        hasMore = true;
        break;
      }
      data.push(event);
    }
    return { data, has_more: hasMore, last_id: data.at(-1)?.id ?? null };
  }

  #firstAfter(cursor: string): number {
    let lo = this.#head;
    let hi = this.#order.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#order[mid] <= cursor) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
