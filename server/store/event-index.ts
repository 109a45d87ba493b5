import { idTime } from '../ids.ts';
import type { StoredEvent } from './event-line.ts';
import { typeMatches } from './match.ts';
import type { EventQuery, RetentionPolicy } from './types.ts';

const DAY_MS = 86_400_000;

/**
 * The in-memory view of stored events that both embedded stores share: id order, lookup by id,
 * de-duplication keys and retention. Memory stays bounded by the retention policy.
 */
export class EventIndex {
  #order: string[] = [];
  #head = 0;
  #byId = new Map<string, StoredEvent>();
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

  findDuplicate(key: string): StoredEvent | undefined {
    const id = this.#byProviderKey.get(key);
    return id === undefined ? undefined : this.#byId.get(id);
  }

  /** `key`: the entry's dedupeKey, when the caller already made it. */
  add(stored: StoredEvent, key = EventIndex.dedupeKey(stored.source, stored.providerId)): void {
    const last = this.#order.at(-1);
    // Appends are acknowledged in id order, so this is a push; the splice keeps cursors right regardless.
    if (last === undefined || last < stored.id) this.#order.push(stored.id);
    else this.#order.splice(this.#firstAfter(stored.id), 0, stored.id);
    this.#byId.set(stored.id, stored);
    if (key) this.#byProviderKey.set(key, stored.id);
  }

  get(id: string): StoredEvent | undefined {
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
    const stored = this.#byId.get(id);
    this.#byId.delete(id);
    if (!stored) return;
    const key = EventIndex.dedupeKey(stored.source, stored.providerId);
    if (key && this.#byProviderKey.get(key) === id) this.#byProviderKey.delete(key);
  }

  /** The entries a query selects, in id order (filters use the kept fields; nothing is read). */
  select(query: EventQuery): { entries: StoredEvent[]; hasMore: boolean } {
    if (query.tail) return this.#selectNewest(query);
    const entries: StoredEvent[] = [];
    for (let i = query.after ? this.#firstAfter(query.after) : this.#head; i < this.#order.length; i++) {
      const stored = this.#byId.get(this.#order[i]);
      if (!stored) continue;
      if (query.source && stored.source !== query.source) continue;
      if (!typeMatches(query.type, stored.type)) continue;
      if (entries.length === query.limit) return { entries, hasMore: true };
      entries.push(stored);
    }
    return { entries, hasMore: false };
  }

  /** `tail`: walks back from the newest, for consoles and tails; `hasMore` = older matches exist. */
  #selectNewest(query: EventQuery): { entries: StoredEvent[]; hasMore: boolean } {
    const entries: StoredEvent[] = [];
    const stop = query.after ? this.#firstAfter(query.after) : this.#head;
    for (let i = this.#order.length - 1; i >= stop; i--) {
      const stored = this.#byId.get(this.#order[i]);
      if (!stored || (query.source && stored.source !== query.source) || !typeMatches(query.type, stored.type)) continue;
      if (entries.length === query.limit) return { entries: entries.reverse(), hasMore: true };
      entries.push(stored);
    }
    return { entries: entries.reverse(), hasMore: false };
  }

  /** Kept events after `cursor`, counted per source (walks only the ids after it). */
  countBySource(cursor: string): Record<string, number> {
    const counts: Record<string, number> = {};
    for (let i = this.#firstAfter(cursor); i < this.#order.length; i++) {
      const stored = this.#byId.get(this.#order[i]);
      if (stored) counts[stored.source] = (counts[stored.source] ?? 0) + 1;
    }
    return counts;
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
