import { idTime } from '../../ids.ts';
import type { RawBody } from '../types.ts';

/** Bodies kept at most this long: the first attempt of a new event's deliveries comes within milliseconds. */
const MAX_AGE_MS = 10_000;
/** Bytes kept at most, whatever the sizes of the bodies. */
const MAX_BYTES = 8 * 1024 * 1024;

/**
 * The raw bodies of the events this instance stored last, so that delivering a new event does not
 * read back from the database what ingest handed over a moment ago. Bounded by count, bytes and age;
 * anything else is read from the table. Retention is the caller's to apply (see forgetThrough).
 */
export class RecentBodies {
  readonly #capacity: number;
  /** In insertion order, which is id order: this instance makes its ids in order and stores them in order. */
  readonly #bodies = new Map<string, RawBody>();
  #bytes = 0;

  /** `capacity` 0 keeps nothing. */
  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  remember(id: string, body: RawBody): void {
    if (this.#capacity === 0 || body.raw.length > MAX_BYTES) return;
    this.#bodies.set(id, body);
    this.#bytes += body.raw.length;
    while (this.#bodies.size > this.#capacity || this.#bytes > MAX_BYTES) this.#dropOldest();
  }

  /** The body, if stored here in the last few seconds. */
  get(id: string, now: number): RawBody | undefined {
    const body = this.#bodies.get(id);
    return body && idTime(id) >= now - MAX_AGE_MS ? body : undefined;
  }

  /** Forgets every body up to and including `id` (retention deleted those events). */
  forgetThrough(id: string): void {
    for (const kept of this.#bodies.keys()) {
      if (kept > id) return;
      this.#dropOldest();
    }
  }

  #dropOldest(): void {
    const [id, body] = this.#bodies.entries().next().value as [string, RawBody];
    this.#bodies.delete(id);
    this.#bytes -= body.raw.length;
  }
}
