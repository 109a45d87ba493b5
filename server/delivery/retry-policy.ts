import type { DeliverySettings } from './config.ts';

/** What one attempt came back with, as far as scheduling cares. */
export interface AttemptOutcome {
  status: number | null;
  timedOut: boolean;
  /** Parsed Retry-After of a 429 or 503, in ms. */
  retryAfterMs: number | null;
}

export const isSuccess = (status: number | null) => status !== null && status >= 200 && status < 300;

/**
 * Delay before the attempt at `index` of the schedule (svix's rules): the scheduled delay with jitter;
 * at least throttleMinDelayMs after a timeout or a 429; a Retry-After on 429/503 is honoured but kept
 * between that delay and twice it, so a receiver can slow us down but not park a message for a week.
 */
export function retryDelay(
  settings: Pick<DeliverySettings, 'scheduleMs' | 'jitter' | 'throttleMinDelayMs'>,
  index: number,
  outcome: AttemptOutcome,
  random: () => number = Math.random,
): number {
  const planned = settings.scheduleMs[Math.min(index, settings.scheduleMs.length - 1)];
  let delay = Math.round(planned * (1 + settings.jitter * (2 * random() - 1)));
  if (outcome.timedOut || outcome.status === 429) delay = Math.max(delay, settings.throttleMinDelayMs);
  if (outcome.retryAfterMs !== null && (outcome.status === 429 || outcome.status === 503)) {
    delay = Math.min(Math.max(outcome.retryAfterMs, delay), 2 * delay);
  }
  return delay;
}

/** Retry-After as seconds or an HTTP date; null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number): number | null {
  if (!value) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}
