import type { Clock } from '../clock.ts';

export interface RowWait<T> {
  clock: Clock;
  /** The row as this instance sees it now (undefined: there is none). */
  read(): T | undefined;
  /** Calls `changed` whenever the row may have changed; returns the unsubscribe. */
  watch(changed: () => void): () => void;
  /** The state waited for (it may also accept a missing row). */
  reached(row: T | undefined): boolean;
  /** Rejects with an Error('timeout') after this long. */
  timeoutMs?: number;
  /** An abort resolves with the row as it is then. */
  signal?: AbortSignal;
  /** Runs every `everyMs` while waiting (e.g. a request to another instance sent again). */
  repeat?: { everyMs: number; run(): void };
}

/**
 * Waits until a stored row reaches a state: checked at once and on each change the store reports, so
 * a change made by another instance (seen on refresh) settles it as soon as this one reads it.
 */
export function waitForRow<T>(wait: RowWait<T>): Promise<T | undefined> {
  return new Promise((resolve, reject) => {
    const timers: Array<{ clear(): void }> = [];
    const finish = (settle: () => void) => {
      unwatch();
      for (const t of timers) t.clear();
      wait.signal?.removeEventListener('abort', onAbort);
      settle();
    };
    const check = () => {
      const row = wait.read();
      if (wait.reached(row)) finish(() => resolve(row));
    };
    const onAbort = () => finish(() => resolve(wait.read()));
    const unwatch = wait.watch(check);
    wait.signal?.addEventListener('abort', onAbort, { once: true });
    if (wait.timeoutMs !== undefined) {
      timers.push(wait.clock.setTimeout(() => finish(() => reject(new Error('timeout'))), wait.timeoutMs));
    }
    const repeat = wait.repeat;
    if (repeat) {
      const tick = () => {
        repeat.run();
        timers.push(wait.clock.setTimeout(tick, repeat.everyMs));
      };
      timers.push(wait.clock.setTimeout(tick, repeat.everyMs));
    }
    check();
  });
}
