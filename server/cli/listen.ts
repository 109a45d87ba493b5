import { parseArgs } from 'node:util';
import { loadConfig } from '../config/load.ts';
import type { RelayEvent } from '../store/types.ts';
import type { Command } from './command.ts';
import { followStream, resolveToken } from './follow.ts';
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

export const listenCommand: Command = {
  name: 'listen',
  summary: "forward a relay's events to a local URL with their original body and headers (resumes where it stopped)",
  usage: USAGE,
  options: OPTIONS,
  async run(argv) {
    const { values } = parseArgs({ args: argv, options: OPTIONS });
    const forwardTo = values['forward-to'];
    if (!forwardTo || (values.after && values.since)) {
      console.error(`usage: ${USAGE}${values.after && values.since ? '\n(--after and --since exclude each other)' : ''}`);
      return 2;
    }
    const config =
      values.url && values.token ? null : loadConfig({ flags: { config: values.config, dataDir: values['data-dir'] } });
    const relay = new URL(values.url ?? `http://${config?.host}:${config?.port}`).origin;
    const token = await resolveToken(values.token, config?.dataDir ?? '');
    if (!token) {
      console.error(
        'hookrelay listen: give --token (a reader key is enough), set HOOKRELAY_ADMIN_TOKEN, or run it where the relay keeps its data dir',
      );
      return 2;
    }
    const sources = values.source ?? [];
    const types = values.type ?? [];
    const stateFile = values.state ?? defaultStateFile({ relay, forwardTo, sources, types });
    const stop = new AbortController();
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stop.abort());
    const settings: ForwardSettings = {
      relay,
      token,
      forwardTo,
      resign: values.resign ?? null,
      retryForMs: values['no-retry'] ? 0 : seconds(values['retry-for'], DEFAULT_RETRY_FOR_SECONDS, '--retry-for') * 1000,
      timeoutMs: seconds(values.timeout, DEFAULT_TIMEOUT_SECONDS, '--timeout') * 1000,
      signal: stop.signal,
    };
    const saved = await readState(stateFile);
    const cursor = await startCursor({
      relay,
      token,
      after: values.after,
      since: values.since,
      saved: saved?.cursor,
      signal: stop.signal,
    });
    const save = (id: string) =>
      writeState(stateFile, { relay, forward_to: forwardTo, cursor: id, updated_at: new Date().toISOString() });
    await save(cursor);
    console.error(`hookrelay listen: forwarding ${relay} to ${forwardTo} (state: ${stateFile})`);

    const url = new URL('/v1/events/stream', relay);
    if (sources.length) url.searchParams.set('source', sources.join(','));
    if (types.length) url.searchParams.set('type', types.join(','));
    return followStream(
      {
        url,
        token,
        after: cursor,
        signal: stop.signal,
        onConnected: (after) => console.error(`hookrelay listen: connected, resuming after ${after}`),
        onGap: (oldest) => console.error(`hookrelay listen: events before ${oldest} are past retention and were skipped`),
        onDisconnected: (why, first) => {
          if (first) console.error(`hookrelay listen: ${why}; reconnecting`);
        },
        async onEvent(event) {
          const outcome = await forwardEvent(event, settings, (a) => {
            if (a.retryInMs !== null) console.log(line(event, `${status(a)}  retrying in ${a.retryInMs / 1000} s`));
          });
          // Interrupted: the cursor stays before this event, so the next start forwards it.
          if (outcome.kind === 'interrupted') throw new Error('stopped');
          // The cursor is saved before the line is printed: a printed event is never forwarded again.
          await save(event.id);
          console.log(line(event, outcomeText(outcome)));
        },
      },
      'listen',
    );
  },
};
