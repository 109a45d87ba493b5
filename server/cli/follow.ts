import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RelayEvent } from '../store/types.ts';
import { readFrames } from './sse-client.ts';

const MAX_BACKOFF_MS = 10_000;

/** --token, else HOOKRELAY_ADMIN_TOKEN, else the admin token the relay keeps in its data dir. */
export async function resolveToken(flag: string | undefined, dataDir: string): Promise<string | undefined> {
  if (flag) return flag;
  if (process.env.HOOKRELAY_ADMIN_TOKEN) return process.env.HOOKRELAY_ADMIN_TOKEN;
  try {
    return (await readFile(join(dataDir, 'admin-token'), 'utf8')).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** fetch says only "fetch failed": name the address and the system's reason (ECONNREFUSED, ENOTFOUND...). */
export function reason(error: unknown, url: string | URL): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if ((error as Error).message !== 'fetch failed') return (error as Error).message;
  return `cannot reach ${new URL(url).origin} (${cause?.code ?? cause?.message ?? 'no answer'})`;
}

export interface FollowOptions {
  /** The stream URL with its filters (`/v1/events/stream?source=...&type=...`). */
  url: URL;
  token: string;
  /** Resume after this event id (sent as Last-Event-ID). */
  after: string | undefined;
  signal: AbortSignal;
  /** Each event in id order; the cursor moves past it once the returned promise resolves. */
  onEvent(event: RelayEvent): void | Promise<void>;
  /** Events before `oldestId` were removed by retention before they could be read. */
  onGap(oldestId: string): void;
  /** Each (re)connection that the relay accepted. */
  onConnected?(after: string | undefined): void;
  /** A connection failed or dropped; `first` is true for the first failure in a row. */
  onDisconnected(reason: string, first: boolean): void;
}

/**
 * Follows the relay's SSE stream; reconnects on its own after the last event handled (Last-Event-ID),
 * with backoff, so nothing is handled twice or skipped. Resolves 0 once the signal aborts, 1 when the
 * relay refuses the request (a 4xx: wrong token, unknown filter), after printing why.
 */
export async function followStream(options: FollowOptions, name: string): Promise<number> {
  let lastId = options.after;
  let retryMs = 1000;
  let failures = 0;
  while (!options.signal.aborted) {
    try {
      const res = await fetch(options.url, {
        headers: { authorization: `Bearer ${options.token}`, ...(lastId ? { 'last-event-id': lastId } : {}) },
        signal: options.signal,
      });
      if (res.status >= 400 && res.status < 500) {
        console.error(`hookrelay ${name}: ${res.status} ${await res.text()}`);
        return 1;
      }
      if (!res.ok || !res.body) throw new Error(`the relay answered ${res.status}`);
      failures = 0;
      options.onConnected?.(lastId);
      await readFrames(res.body, {
        onRetry: (ms) => {
          retryMs = ms;
        },
        onMessage: async (message) => {
          if (message.event === 'gap') return options.onGap(String(JSON.parse(message.data).oldest_id));
          const event = JSON.parse(message.data) as RelayEvent;
          await options.onEvent(event);
          lastId = message.id ?? event.id;
        },
      });
    } catch (error) {
      if (options.signal.aborted) break;
      failures++;
      options.onDisconnected(reason(error, options.url), failures === 1);
    }
    const wait = Math.min(MAX_BACKOFF_MS, retryMs * 2 ** Math.min(failures, 4));
    await sleep(failures === 0 ? retryMs : wait, undefined, { signal: options.signal }).catch(() => {});
  }
  return 0;
}
