import type { Clock } from '../clock.ts';

/**
 * Throttles `batch.progress`: the first change emits at once, later changes at most once per
 * interval (a trailing emit carries the latest counts); flush() emits now, for status changes.
 */
export function throttled(clock: Clock, intervalMs: number, emit: () => void) {
  let last = Number.NEGATIVE_INFINITY;
  let timer: { clear(): void } | null = null;
  const fire = () => {
    timer = null;
    last = clock.now();
    emit();
  };
  return {
    changed() {
      if (timer) return;
      const wait = last + intervalMs - clock.now();
      if (wait <= 0) fire();
      else timer = clock.setTimeout(fire, wait);
    },
    flush() {
      timer?.clear();
      fire();
    },
    dispose() {
      timer?.clear();
      timer = null;
    },
  };
}
