import { parseArgs } from 'node:util';
import { loadConfig } from '../config/load.ts';
import type { RelayEvent } from '../store/types.ts';
import type { Command } from './command.ts';
import { followStream, reason, resolveToken } from './follow.ts';
import { type Attempt, forwardEvent, type ForwardSettings, type Outcome } from './listen/forward.ts';
import { startCursor } from './listen/start-cursor.ts';
import { defaultStateFile, readState, writeState } from './listen/state.ts';

const OPTIONS = {
  'forward-to': { type: 'string' },
  url: { type: 'string' },
  token: { type: 'string' },
  source: { type: 'string', multiple: true },
  type: { type: 'string', multiple: true },
  after: { type: 'string' },
  since: { type: 'string' },
  state: { type: 'string' },
  resign: { type: 'string' },
  'no-retry': { type: 'boolean', default: false },
  'retry-for': { type: 'string' },
  timeout: { type: 'string' },
  config: { type: 'string' },
  'data-dir': { type: 'string' },
} as const;

export const DEFAULT_RETRY_FOR_SECONDS = 60;
const DEFAULT_TIMEOUT_SECONDS = 30;

const USAGE =
  'hookrelay listen --forward-to URL [--url RELAY] [--token KEY] [--source S]... [--type T]... [--after EVENT_ID | --since TIME] [--state FILE] [--resign SECRET] [--no-retry] [--retry-for SECONDS] [--timeout SECONDS] [--config FILE] [--data-dir DIR]';

function seconds(value: string | undefined, fallback: number, flag: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 86_400) throw new Error(`${flag} takes seconds from 0 to 86400, got "${value}"`);
  return n;
}

function status(a: Attempt): string {
  return `${a.status ?? a.error}  ${Math.round(a.ms)} ms`;
}

function outcomeText(outcome: Exclude<Outcome, { kind: 'interrupted' }>): string {
  if (outcome.kind === 'gone') return 'skipped: no longer stored';
  if (outcome.kind === 'gave-up') return `${status(outcome.last)}  gave up after ${outcome.last.attempt} attempt(s)`;
  return status(outcome.last);
}

function line(event: RelayEvent, text: string): string {
  return `${new Date().toISOString()}  ${event.source}  ${event.type}  ${text}  ${event.id}`;
}

type ListenValues = ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>['values'];

interface Listener {
  settings: ForwardSettings;
  stream: URL;
  stateFile: string;
}

/** Flags, config and token resolved once; a message and exit code 2 for what cannot work. */
async function listenerFrom(values: ListenValues, signal: AbortSignal): Promise<Listener | string> {
  const forwardTo = values['forward-to'];
  if (!forwardTo) return `usage: ${USAGE}`;
  if (values.after && values.since) return `usage: ${USAGE}\n(--after and --since exclude each other)`;
  const config =
    values.url && values.token ? null : loadConfig({ flags: { config: values.config, dataDir: values['data-dir'] } });
  const relay = new URL(values.url ?? `http://${config?.host}:${config?.port}`).origin;
  const token = await resolveToken(values.token, config?.dataDir ?? '');
  if (!token) {
    return 'hookrelay listen: give --token (a reader key is enough), set HOOKRELAY_ADMIN_TOKEN, or run it where the relay keeps its data dir';
  }
  const sources = values.source ?? [];
  const types = values.type ?? [];
  const stream = new URL('/v1/events/stream', relay);
  if (sources.length) stream.searchParams.set('source', sources.join(','));
  if (types.length) stream.searchParams.set('type', types.join(','));
  const settings: ForwardSettings = {
    relay,
    token,
    forwardTo,
    resign: values.resign ?? null,
    retryForMs: values['no-retry'] ? 0 : seconds(values['retry-for'], DEFAULT_RETRY_FOR_SECONDS, '--retry-for') * 1000,
    timeoutMs: seconds(values.timeout, DEFAULT_TIMEOUT_SECONDS, '--timeout') * 1000,
    signal,
  };
  return { settings, stream, stateFile: values.state ?? defaultStateFile({ relay, forwardTo, sources, types }) };
}

/** Forwards one event, then saves the cursor past it, then prints its line (so a printed event is never sent again). */
function forwarder(settings: ForwardSettings, save: (id: string) => Promise<void>) {
  return async (event: RelayEvent) => {
    const outcome = await forwardEvent(event, settings, (a) => {
      if (a.retryInMs !== null) console.log(line(event, `${status(a)}  retrying in ${a.retryInMs / 1000} s`));
    });
    // Interrupted: the cursor stays before this event, so the next start forwards it.
    if (outcome.kind === 'interrupted') throw new Error('stopped');
    await save(event.id);
    console.log(line(event, outcomeText(outcome)));
  };
}

export const listenCommand: Command = {
  name: 'listen',
  summary: "forward a relay's events to a local URL with their original body and headers (resumes where it stopped)",
  usage: USAGE,
  options: OPTIONS,
  async run(argv) {
    const { values } = parseArgs({ args: argv, options: OPTIONS });
    const stop = new AbortController();
    const listener = await listenerFrom(values, stop.signal);
    if (typeof listener === 'string') {
      console.error(listener);
      return 2;
    }
    const { settings, stream, stateFile } = listener;
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stop.abort());
    const save = (id: string) =>
      writeState(stateFile, {
        relay: settings.relay,
        forward_to: settings.forwardTo,
        cursor: id,
        updated_at: new Date().toISOString(),
      });
    const saved = await readState(stateFile);
    let cursor: string;
    try {
      cursor = await startCursor({ ...settings, after: values.after, since: values.since, saved: saved?.cursor });
    } catch (error) {
      console.error(`hookrelay listen: ${reason(error, settings.relay)}`);
      return 1;
    }
    await save(cursor);
    console.error(`hookrelay listen: forwarding ${settings.relay} to ${settings.forwardTo} (state: ${stateFile})`);
    return followStream(
      {
        url: stream,
        token: settings.token,
        after: cursor,
        signal: stop.signal,
        onConnected: (after) => console.error(`hookrelay listen: connected, resuming after ${after}`),
        onGap: (oldest) => console.error(`hookrelay listen: events before ${oldest} are past retention and were skipped`),
        onDisconnected: (why, first) => {
          if (first) console.error(`hookrelay listen: ${why}; reconnecting`);
        },
        onEvent: forwarder(settings, save),
      },
      'listen',
    );
  },
};
