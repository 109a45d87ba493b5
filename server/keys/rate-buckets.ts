/**
 * Token buckets by name (per-key request rates). A bucket holds up to `capacity` tokens and gains
 * `capacity` per `periodMs`; a take succeeds while a whole token is left. Implementations:
 * memoryBuckets (one process) and postgresBuckets (one row per bucket, updated in one statement, so
 * every instance sharing the database draws from the same bucket).
 */
export interface RateBuckets {
  /** Takes one token; when none is left, says in how many ms the next one comes. */
  take(name: string, capacity: number, periodMs: number): Promise<{ ok: true } | { ok: false; retryAfterMs: number }>;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** Buckets not touched for this long are full again and forgotten (bounded memory). */
const IDLE_MS = 10 * 60_000;

export function memoryBuckets(now: () => number): RateBuckets {
  const buckets = new Map<string, Bucket>();
  let lastSweep = now();
  function sweep(t: number) {
    if (t - lastSweep < IDLE_MS) return;
    lastSweep = t;
    for (const [name, b] of buckets) if (t - b.at > IDLE_MS) buckets.delete(name);
  }
  return {
    async take(name, capacity, periodMs) {
      const t = now();
      sweep(t);
      const rate = capacity / periodMs;
      const held = buckets.get(name);
      const tokens = held ? Math.min(capacity, held.tokens + (t - held.at) * rate) : capacity;
      if (tokens >= 1) {
        buckets.set(name, { tokens: tokens - 1, at: t });
        return { ok: true };
      }
      buckets.set(name, { tokens, at: t });
      return { ok: false, retryAfterMs: Math.ceil((1 - tokens) / rate) };
    },
  };
}
