// What the events page holds in memory, independent of the DOM (so it can be tested without a browser).

/** The newest events kept in the page (and so at most this many rows in the list). */
export const MAX_EVENTS = 500;
/** Payloads larger than this (as JSON) are not compared when looking for repeats. */
export const REPEAT_CHECK_BYTES = 64 * 1024;

/**
 * The newest MAX_EVENTS events (newest first), counts by source, the paused-feed backlog and repeat
 * detection. A "repeat" is an event with the same source and the same payload as an earlier event still
 * held here: the relay already stores a provider message once per provider id, so a repeat that reaches
 * the list means the sender re-sent it under a new id (or with none).
 */
export class EventFeed {
  events = [];
  counts = new Map();
  paused = false;
  /** Events that arrived while paused, oldest first; bounded like the list itself. */
  backlog = [];
  /** How many arrived while paused (the backlog may have dropped the oldest of them). */
  heldCount = 0;
  #repeatOf = new Map();
  #firstByPayload = new Map();

  /** Replaces everything with a page of events (oldest first, as GET /v1/events returns them). */
  reset(oldestFirst) {
    this.events = [];
    this.counts.clear();
    this.backlog = [];
    this.heldCount = 0;
    this.#repeatOf.clear();
    this.#firstByPayload.clear();
    for (const event of oldestFirst) this.#keep(event);
  }

  /** A live event: kept and returned as {shown, evicted}, or held while paused. */
  add(event) {
    if (this.paused) {
      this.heldCount++;
      this.backlog.push(event);
      if (this.backlog.length > MAX_EVENTS) this.backlog.shift();
      return { shown: [], evicted: [] };
    }
    return this.#keep(event);
  }

  pause() {
    this.paused = true;
  }

  /** Shows the backlog; returns what became visible and what fell off the end. */
  resume() {
    this.paused = false;
    const shown = [];
    const evicted = [];
    for (const event of this.backlog) {
      const result = this.#keep(event);
      shown.push(...result.shown);
      evicted.push(...result.evicted);
    }
    this.backlog = [];
    this.heldCount = 0;
    return { shown, evicted: evicted.filter((e) => !shown.includes(e)) };
  }

  get(id) {
    return this.events.find((e) => e.id === id);
  }

  /** The id of the earlier event this one repeats, if any. */
  repeatOf(id) {
    return this.#repeatOf.get(id);
  }

  #keep(event) {
    if (this.events.some((e) => e.id === event.id)) return { shown: [], evicted: [] };
    // Live events arrive newest; a late one (the catch-up after an empty first load) goes in id order.
    let at = 0;
    while (at < this.events.length && this.events[at].id > event.id) at++;
    this.events.splice(at, 0, event);
    this.counts.set(event.source, (this.counts.get(event.source) ?? 0) + 1);
    this.#noteRepeat(event);
    const evicted = this.events.length > MAX_EVENTS ? this.events.splice(MAX_EVENTS) : [];
    for (const old of evicted) this.#forget(old);
    return { shown: [event], evicted };
  }

  #noteRepeat(event) {
    const key = payloadKey(event);
    if (key === null) return;
    const first = this.#firstByPayload.get(key);
    if (first) this.#repeatOf.set(event.id, first);
    else this.#firstByPayload.set(key, event.id);
  }

  #forget(event) {
    this.#repeatOf.delete(event.id);
    const key = payloadKey(event);
    if (key !== null && this.#firstByPayload.get(key) === event.id) this.#firstByPayload.delete(key);
  }
}

function payloadKey(event) {
  const json = JSON.stringify(event.payload ?? null);
  return json.length > REPEAT_CHECK_BYTES ? null : `${event.source}\u0000${json}`;
}
