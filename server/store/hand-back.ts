/** Work of one turn of the event loop spent on the callers of the appends handed back, at most. */
const TURN_BUDGET_MS = 2;

/**
 * Resolves finished writes in order, a slice per turn of the event loop. Each resolution runs its
 * caller's work at once (for the event store: index, publish to every live subscriber, answer the
 * webhook), so a large group resolved in one turn would hold the loop for all of it: nothing reached
 * a subscriber, and the next group's write could not start, until the last one was done.
 *
 * A slice is as many as fit in TURN_BUDGET_MS at what the callers took per resolution in the last
 * slice (measured at the next turn, once their work has run): a cheap caller gets the whole group in
 * one turn, as before; an expensive one gets a few per turn. At least a quarter of those waiting go in
 * each slice, so a backlog (a loop too busy to keep up) is handed back in larger slices and the work
 * they share per turn (one write per subscriber for several events) keeps up with it.
 */
export class HandBack {
  #queue: Array<() => void> = [];
  #running: { done: Promise<void>; resolve: () => void } | null = null;
  /** Milliseconds the callers took per resolution in the last measured slice. */
  #cost = 0;
  #slice: { at: number; count: number } | null = null;

  /** Queues one group's resolutions (resolve or reject, bound to their values) behind the earlier ones. */
  push(settles: Array<() => void>): void {
    for (const settle of settles) this.#queue.push(settle);
    if (this.#running) return;
    let resolve = () => {};
    const done = new Promise<void>((r) => {
      resolve = r;
    });
    this.#running = { done, resolve };
    this.#turn();
  }

  /** Resolves once everything queued so far has been handed back. */
  async drained(): Promise<void> {
    while (this.#running) await this.#running.done;
  }

  #turn = (): void => {
    const now = performance.now();
    if (this.#slice) this.#cost = (now - this.#slice.at) / this.#slice.count;
    this.#slice = null;
    const waiting = this.#queue.length;
    if (waiting === 0) {
      this.#running?.resolve();
      this.#running = null;
      return;
    }
    const fits = this.#cost > 0 ? Math.floor(TURN_BUDGET_MS / this.#cost) : waiting;
    const count = Math.min(waiting, Math.max(1, fits, Math.ceil(waiting / 4)));
    for (const settle of this.#queue.splice(0, count)) settle();
    // The next turn measures this slice (its callers' work runs before it) and hands back the rest.
    this.#slice = { at: now, count };
    setImmediate(this.#turn);
  };
}
