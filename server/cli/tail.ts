import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/load.ts';
import type { RelayEvent } from '../store/types.ts';
import type { Command } from './command.ts';
import { readFrames } from './sse-client.ts';

const MAX_BACKOFF_MS = 10_000;

/** --token, else HOOKRELAY_ADMIN_TOKEN, else the admin token the relay keeps in its data dir. */
async function resolveToken(flag: string | undefined, dataDir: string): Promise<string | undefined> {
  if (flag) return flag;
  if (process.env.HOOKRELAY_ADMIN_TOKEN) return process.env.HOOKRELAY_ADMIN_TOKEN;
  try {
    return (await readFile(join(dataDir, 'admin-token'), 'utf8')).trim() || undefined;
  } catch {
    return undefined;
  }
}

function line(event: RelayEvent): string {
  return `${event.received_at}  ${event.source}  ${event.type}  ${event.id}`;
}

interface TailOptions {
  url: URL;
  token: string;
  after: string | undefined;
  json: boolean;
  signal: AbortSignal;
}

/** fetch says only "fetch failed": name the address and the system's reason (ECONNREFUSED, ENOTFOUND...). */
function reason(error: unknown, url: string | URL): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if ((error as Error).message !== 'fetch failed') return (error as Error).message;
  return `cannot reach ${new URL(url).origin} (${cause?.code ?? cause?.message ?? 'no answer'})`;
}

/** Follows the stream; reconnects on its own with the last id seen, so nothing is printed twice or skipped. */
async function follow(options: TailOptions): Promise<number> {
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
        console.error(`hookrelay tail: ${res.status} ${await res.text()}`);
        return 1;
      }
      if (!res.ok || !res.body) throw new Error(`the relay answered ${res.status}`);
      failures = 0;
      await readFrames(res.body, {
        onRetry: (ms) => {
          retryMs = ms;
        },
        onMessage: (message) => {
          if (message.event === 'gap') {
            console.error(
              `hookrelay tail: events before ${JSON.parse(message.data).oldest_id} are past retention and were skipped`,
            );
            return;
          }
          const event = JSON.parse(message.data) as RelayEvent;
          lastId = message.id ?? event.id;
          console.log(options.json ? message.data : line(event));
        },
      });
    } catch (error) {
      if (options.signal.aborted) break;
      failures++;
      if (failures === 1) console.error(`hookrelay tail: ${reason(error, options.url)}; reconnecting`);
    }
    const wait = Math.min(MAX_BACKOFF_MS, retryMs * 2 ** Math.min(failures, 4));
    await sleep(failures === 0 ? retryMs : wait, undefined, { signal: options.signal }).catch(() => {});
  }
  return 0;
}

export const tailCommand: Command = {
  name: 'tail',
  summary: 'follow live events in the terminal (reconnects and resumes on its own)',
  usage: 'hookrelay tail [--source S] [--type T] [--after EVENT_ID] [--json] [--url URL] [--token TOKEN]',
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        source: { type: 'string' },
        type: { type: 'string' },
        after: { type: 'string' },
        json: { type: 'boolean', default: false },
        url: { type: 'string' },
        token: { type: 'string' },
        config: { type: 'string' },
        'data-dir': { type: 'string' },
      },
    });
    const config = loadConfig({ flags: { config: values.config, dataDir: values['data-dir'] } });
    const token = await resolveToken(values.token, config.dataDir);
    if (!token) {
      console.error('hookrelay tail: give --token, set HOOKRELAY_ADMIN_TOKEN, or run it where the relay keeps its data dir');
      return 2;
    }
    const url = new URL('/v1/events/stream', values.url ?? `http://${config.host}:${config.port}`);
    if (values.source) url.searchParams.set('source', values.source);
    if (values.type) url.searchParams.set('type', values.type);
    const stop = new AbortController();
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stop.abort());
    return follow({ url, token, after: values.after, json: values.json ?? false, signal: stop.signal });
  },
};
