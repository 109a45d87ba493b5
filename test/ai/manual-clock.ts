import type { Clock } from '../../server/clock.ts';

/** A clock that moves only when told: timers due by the new time fire in order. */
export class ManualClock implements Clock {
  #now: number;
  #timers: Array<{ at: number; fn: () => void; cleared: boolean }> = [];
  constructor(start = Date.now()) {
    this.#now = start;
  }
  now(): number {
    return this.#now;
  }
  setTimeout(fn: () => void, ms: number) {
    const timer = { at: this.#now + ms, fn, cleared: false };
    this.#timers.push(timer);
    return {
      clear: () => {
        timer.cleared = true;
      },
    };
  }
  advance(ms: number): void {
    this.#now += ms;
    const due = this.#timers.filter((t) => !t.cleared && t.at <= this.#now).sort((a, b) => a.at - b.at);
    this.#timers = this.#timers.filter((t) => !due.includes(t));
    for (const t of due) t.fn();
  }
}
