import type { Clock } from '../../server/clock.ts';

/** A clock that moves only when told: advance() fires the timers that fall due, in order. */
export function manualClock(start = Date.now()) {
  let now = start;
  let timers: Array<{ at: number; fn: () => void; cleared: boolean }> = [];
  const clock: Clock & { advance(ms: number): void; readonly pending: number } = {
    now: () => now,
    setTimeout(fn, ms) {
      const timer = { at: now + ms, fn, cleared: false };
      timers.push(timer);
      return {
        clear: () => {
          timer.cleared = true;
        },
      };
    },
    advance(ms) {
      now += ms;
      const due = timers.filter((t) => t.at <= now && !t.cleared).sort((a, b) => a.at - b.at);
      timers = timers.filter((t) => t.at > now && !t.cleared);
      for (const t of due) t.fn();
    },
    get pending() {
      return timers.filter((t) => !t.cleared).length;
    },
  };
  return clock;
}
