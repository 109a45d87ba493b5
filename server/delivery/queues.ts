/** A queue entry: a delivery id and the time it is due. */
export interface QueueItem {
  id: string;
  due: number;
}

/** Array-backed double-ended queue (push at either end, take from the front) without O(n) shifts. */
export class Deque {
  #items: (QueueItem | undefined)[] = [];
  #head = 0;
  get length(): number {
    return this.#items.length - this.#head;
  }
  push(item: QueueItem): void {
    this.#items.push(item);
  }
  pushFront(item: QueueItem): void {
    if (this.#head > 0) this.#items[--this.#head] = item;
    else this.#items.unshift(item);
  }
  peek(): QueueItem | undefined {
    return this.#items[this.#head];
  }
  shift(): QueueItem | undefined {
    if (this.length === 0) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head++] = undefined;
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }
  *[Symbol.iterator](): IterableIterator<QueueItem> {
    for (let i = this.#head; i < this.#items.length; i++) yield this.#items[i] as QueueItem;
  }
}

/** Binary min-heap by due time (ties by id, which sorts in creation order). */
export class DueHeap {
  #items: QueueItem[] = [];
  get length(): number {
    return this.#items.length;
  }
  peek(): QueueItem | undefined {
    return this.#items[0];
  }
  push(item: QueueItem): void {
    const a = this.#items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(a[i], a[parent])) break;
      [a[i], a[parent]] = [a[parent], a[i]];
      i = parent;
    }
  }
  pop(): QueueItem | undefined {
    const a = this.#items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && before(a[l], a[m])) m = l;
        if (r < a.length && before(a[r], a[m])) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m], a[i]];
        i = m;
      }
    }
    return top;
  }
  *[Symbol.iterator](): IterableIterator<QueueItem> {
    yield* this.#items;
  }
}

const before = (x: QueueItem, y: QueueItem) => x.due < y.due || (x.due === y.due && x.id < y.id);

/**
 * Token bucket for an endpoint's rate limit (attempts per second). Capacity is a tenth of a second's
 * worth (at least 1), so a limit of 50/s never sends more than 55 in any second.
 */
export class TokenBucket {
  #tokens: number;
  #at: number;
  readonly #capacity: number;
  readonly #perMs: number;
  constructor(ratePerSecond: number, now: number) {
    this.#perMs = ratePerSecond / 1000;
    this.#capacity = Math.max(1, ratePerSecond / 10);
    this.#tokens = this.#capacity;
    this.#at = now;
  }
  /** Takes a token if there is one; otherwise returns the time one will be there. */
  take(now: number): true | number {
    this.#tokens = Math.min(this.#capacity, this.#tokens + (now - this.#at) * this.#perMs);
    this.#at = now;
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return true;
    }
    return now + Math.ceil((1 - this.#tokens) / this.#perMs);
  }
}
