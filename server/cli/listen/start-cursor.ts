import { idBefore } from '../../ids.ts';

/** The largest id an event made at `ms - 1` can have: every event from `ms` on sorts after it. */
export function cursorBefore(ms: number): string {
  return idBefore('evt', ms);
}

const DURATION = /^(\d+)(s|m|h|d)$/;
const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `--since`: an ISO 8601 time, or a duration back from now (`30s`, `10m`, `2h`, `1d`). */
export function sinceMs(value: string, now = Date.now()): number {
  const duration = DURATION.exec(value);
  if (duration) return now - Number(duration[1]) * UNIT_MS[duration[2] as keyof typeof UNIT_MS];
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new Error(`--since takes an ISO 8601 time or a duration such as 10m, got "${value}"`);
  return ms;
}

/**
 * Where forwarding starts: --after, --since, the saved cursor, else the relay's newest event now (only
 * what arrives from here on; saved at once, so a restart still picks up what arrived in between).
 */
export async function startCursor(options: {
  relay: string;
  token: string;
  after?: string;
  since?: string;
  saved?: string;
  signal: AbortSignal;
}): Promise<string> {
  if (options.after) return options.after;
  if (options.since) return cursorBefore(sinceMs(options.since));
  if (options.saved) return options.saved;
  const res = await fetch(new URL('/v1/events?tail=true&limit=1', options.relay), {
    headers: { authorization: `Bearer ${options.token}` },
    signal: options.signal,
  });
  if (!res.ok) throw new Error(`the relay answered ${res.status} to ${options.relay}/v1/events: ${await res.text()}`);
  const page = (await res.json()) as { last_id: string | null };
  return page.last_id ?? cursorBefore(0);
}
