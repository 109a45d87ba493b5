import type { Clock } from '../clock.ts';
import { Deque, DueHeap, type QueueItem, TokenBucket } from './queues.ts';

export interface LaneLimits {
  concurrency: number;
  /** Attempts per second; null = unlimited. */
  rateLimit: number | null;
  /** One in flight, in the order enqueued; a retry waits at the front. */
  ordered: boolean;
}

/**
 * The queue of one destination (an endpoint, or a bare URL's origin). Each lane has its own in-flight
 * count, rate limit and timer, so a slow or dead receiver only ever occupies its own lane.
 * Entries are (id, due); `#due` holds each queued id's current due time, so a rescheduled delivery
 * leaves a stale entry behind that is skipped when reached, instead of being searched for.
 */
export class Lane {
  readonly key: string;
  #limits: LaneLimits;
  readonly #clock: Clock;
  readonly #send: (id: string, ordered: boolean) => Promise<void>;
  readonly #ready = new Deque();
  readonly #waiting = new DueHeap();
  readonly #due = new Map<string, number>();
  #bucket: TokenBucket | null;
  #inFlight = 0;
  #timer: { clear(): void } | null = null;
  #timerAt = Number.POSITIVE_INFINITY;
  #closed = false;

  constructor(key: string, limits: LaneLimits, clock: Clock, send: (id: string, ordered: boolean) => Promise<void>) {
    this.key = key;
    this.#limits = limits;
    this.#clock = clock;
    this.#send = send;
    this.#bucket = limits.rateLimit ? new TokenBucket(limits.rateLimit, clock.now()) : null;
  }

  get limits(): LaneLimits {
    return this.#limits;
  }
  get inFlight(): number {
    return this.#inFlight;
  }
  /** Deliveries waiting in this lane (not counting those in flight). */
  get depth(): number {
    return this.#due.size;
  }

  setLimits(limits: LaneLimits): void {
    if (limits.rateLimit !== this.#limits.rateLimit) {
      this.#bucket = limits.rateLimit ? new TokenBucket(limits.rateLimit, this.#clock.now()) : null;
    }
    this.#limits = limits;
    this.pump();
  }

  /** Queues a delivery (or moves it to a new due time). `front` keeps an ordered lane's retry at the head. */
  enqueue(id: string, due: number, front = false): void {
    const known = this.#due.has(id);
    if (known && this.#due.get(id) === due) return;
    this.#due.set(id, due);
    const item = { id, due };
    if (this.#limits.ordered) {
      if (!known) front ? this.#ready.pushFront(item) : this.#ready.push(item);
    } else if (due <= this.#clock.now()) {
      this.#ready.push(item);
    } else {
      this.#waiting.push(item);
    }
    this.pump();
  }

  has(id: string): boolean {
    return this.#due.has(id);
  }

  remove(id: string): void {
    this.#due.delete(id);
  }

  /** Queued ids with their due times (for rebuilding a lane whose ordering changed). */
  entries(): Array<[string, number]> {
    return [...this.#due];
  }

  /** The earliest due time among deliveries that are due and still waiting, or null. */
  oldestDue(now: number): number | null {
    let oldest: number | null = null;
    for (const item of [this.#ready.peek(), this.#waiting.peek()]) {
      const due = item && this.#due.get(item.id);
      if (due !== undefined && due !== null && due <= now && (oldest === null || due < oldest)) oldest = due;
    }
    return oldest;
  }

  close(): void {
    this.#closed = true;
    this.#timer?.clear();
    this.#timer = null;
  }

  pump(): void {
    while (!this.#closed && this.#inFlight < (this.#limits.ordered ? 1 : this.#limits.concurrency)) {
      const now = this.#clock.now();
      const item = this.#limits.ordered ? this.#orderedHead(now) : this.#nextDue(now);
      if (!item) return;
      if (this.#bucket) {
        const allowed = this.#bucket.take(now);
        if (allowed !== true) {
          if (!this.#limits.ordered) this.#ready.pushFront(item);
          this.#arm(allowed);
          return;
        }
      }
      if (this.#limits.ordered) this.#ready.shift();
      this.#due.delete(item.id);
      this.#inFlight++;
      this.#send(item.id, this.#limits.ordered).finally(() => {
        this.#inFlight--;
        this.pump();
      });
    }
  }

  #live(item: QueueItem): boolean {
    return this.#due.get(item.id) === item.due;
  }

  /** Unordered: the next live due entry, moving waiting entries that have come due to the ready queue. */
  #nextDue(now: number): QueueItem | undefined {
    for (let top = this.#waiting.peek(); top && top.due <= now; top = this.#waiting.peek()) {
      const item = this.#waiting.pop() as QueueItem;
      if (this.#live(item)) this.#ready.push(item);
    }
    for (let item = this.#ready.shift(); item; item = this.#ready.shift()) {
      if (this.#live(item)) return item;
    }
    const next = this.#waiting.peek();
    if (next) this.#arm(next.due);
    return undefined;
  }

  /** Ordered: the head, if it is due; removed deliveries are dropped from the head. */
  #orderedHead(now: number): QueueItem | undefined {
    for (let item = this.#ready.peek(); item; item = this.#ready.peek()) {
      const due = this.#due.get(item.id);
      if (due === undefined) {
        this.#ready.shift();
        continue;
      }
      if (due > now) {
        this.#arm(due);
        return undefined;
      }
      return item;
    }
    return undefined;
  }

  #arm(at: number): void {
    if (this.#timer && this.#timerAt <= at) return;
    this.#timer?.clear();
    this.#timerAt = at;
    this.#timer = this.#clock.setTimeout(
      () => {
        this.#timer = null;
        this.#timerAt = Number.POSITIVE_INFINITY;
        this.pump();
      },
      Math.max(0, at - this.#clock.now()),
    );
  }
}
