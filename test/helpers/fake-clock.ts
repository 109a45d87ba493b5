import type { Clock } from '../../server/clock.ts';

/** A clock that only moves when the test says so; timers fire in due order as it passes them. */
export class FakeClock implements Clock {
  #now: number;
  #timers: Array<{ at: number; seq: number; fn: () => void }> = [];
  #seq = 0;
  constructor(start = Date.now()) {
    this.#now = start;
  }
  now(): number {
    return this.#now;
  }
  setTimeout(fn: () => void, ms: number) {
    if (ms <= 0) {
      // Already due (the code under test armed it after the test moved time): fire soon, as a real timer would.
      let cleared = false;
      setImmediate(() => cleared || fn());
      return {
        clear: () => {
          cleared = true;
        },
      };
    }
    const timer = { at: this.#now + Math.max(0, ms), seq: this.#seq++, fn };
    this.#timers.push(timer);
    return {
      clear: () => {
        this.#timers = this.#timers.filter((t) => t !== timer);
      },
    };
  }
  /** The earliest pending timer, if any. */
  nextTimerAt(): number | undefined {
    return this.#timers.reduce<number | undefined>((m, t) => (m === undefined || t.at < m ? t.at : m), undefined);
  }
  /** Moves time forward by ms, firing every timer that comes due on the way. */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      const due = this.#timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.#timers = this.#timers.filter((t) => t !== due);
      this.#now = Math.max(this.#now, due.at);
      due.fn();
    }
    this.#now = end;
  }
  /**
   * Moves time forward by ms at once, then fires the timers that fell due, in due order: each sees the
   * new time, as after a pause of the whole process (a periodic job that re-arms itself runs once).
   */
  jump(ms: number): void {
    this.#now += ms;
    const due = this.#timers.filter((t) => t.at <= this.#now).sort((a, b) => a.at - b.at || a.seq - b.seq);
    this.#timers = this.#timers.filter((t) => !due.includes(t));
    for (const t of due) t.fn();
  }
}
