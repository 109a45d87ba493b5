import { parseArgs } from 'node:util';
import { loadConfig } from '../config/load.ts';
import type { RelayEvent } from '../store/types.ts';
import type { Command } from './command.ts';
import { followStream, resolveToken } from './follow.ts';

function line(event: RelayEvent): string {
  return `${event.received_at}  ${event.source}  ${event.type}  ${event.id}`;
}

const OPTIONS = {
  source: { type: 'string' },
  type: { type: 'string' },
  after: { type: 'string' },
  json: { type: 'boolean', default: false },
  url: { type: 'string' },
  token: { type: 'string' },
  config: { type: 'string' },
  'data-dir': { type: 'string' },
} as const;

export const tailCommand: Command = {
  name: 'tail',
  summary: 'follow live events in the terminal (reconnects and resumes on its own)',
  usage:
    'hookrelay tail [--source S] [--type T] [--after EVENT_ID] [--json] [--url URL] [--token TOKEN] [--config FILE] [--data-dir DIR]',
  options: OPTIONS,
  async run(argv) {
    const { values } = parseArgs({ args: argv, options: OPTIONS });
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
    const json = values.json ?? false;
    return followStream(
      {
        url,
        token,
        after: values.after,
        signal: stop.signal,
        onEvent: (event) => console.log(json ? JSON.stringify(event) : line(event)),
        onGap: (oldest) => console.error(`hookrelay tail: events before ${oldest} are past retention and were skipped`),
        onDisconnected: (why, first) => {
          if (first) console.error(`hookrelay tail: ${why}; reconnecting`);
        },
      },
      'tail',
    );
  },
};
