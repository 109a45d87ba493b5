import { parseArgs } from 'node:util';
import { loadConfig } from '../config/load.ts';
import { ConfigError } from '../errors.ts';
import type { Relay } from '../main.ts';
import { createLogger, type Logger } from '../ops/logger.ts';
import type { Command } from './command.ts';

const OPTIONS = {
  config: { type: 'string' },
  port: { type: 'string' },
  host: { type: 'string' },
  'data-dir': { type: 'string' },
} as const;

export const startCommand: Command = {
  name: 'start',
  summary: 'run the relay',
  usage: 'hookrelay start [--config FILE] [--port N] [--host ADDR] [--data-dir DIR]',
  options: OPTIONS,
  async run(argv) {
    const { values } = parseArgs({ args: argv, options: OPTIONS });
    const logger = createLogger();
    let relay: Relay;
    try {
      const config = loadConfig({
        flags: { config: values.config, port: values.port, host: values.host, dataDir: values['data-dir'] },
      });
      // Loaded here, not at the top: the other commands then start without the whole server.
      const { createRelay } = await import('../main.ts');
      relay = await createRelay({ config, logger });
    } catch (error) {
      return failed(logger, error);
    }
    // Handlers go in before listening: a signal that arrives as soon as the port is open still drains.
    const stopped = stopOnSignal(relay, logger);
    try {
      await relay.start();
    } catch (error) {
      await relay.stop().catch(() => {});
      return failed(logger, error);
    }
    return stopped;
  },
};

/** What a user can do about a file system error, for the one line start-up prints. */
const FILE_SYSTEM_ADVICE: Record<string, string> = {
  ENOSPC: 'the disk holding the data dir is full; free some space, then start again',
  EDQUOT: 'the disk quota for the data dir is used up; free some space, then start again',
  EROFS: 'the data dir is on a read-only file system; give --data-dir a writable directory',
  EACCES: 'the data dir is not writable by this user; fix its owner or give --data-dir another directory',
  EPERM: 'the data dir is not writable by this user; fix its owner or give --data-dir another directory',
};

function describeFailure(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const advice = FILE_SYSTEM_ADVICE[(error as NodeJS.ErrnoException)?.code ?? ''];
  // Error messages from the file system can span lines (paths with newlines): keep the line single.
  return (advice ? `cannot start: ${advice} (${message})` : message).replaceAll(/\s*\n\s*/g, ' ');
}

function failed(logger: Logger, error: unknown): number {
  const message = describeFailure(error);
  logger.fatal({ kind: error instanceof ConfigError ? 'config' : 'start-up' }, message);
  console.error(`hookrelay: ${message}`);
  return 1;
}

/** SIGTERM/SIGINT: stop taking requests, let in-flight ones finish and flush, then resolve 0. */
function stopOnSignal(relay: Relay, logger: Logger): Promise<number> {
  return new Promise<number>((resolve) => {
    const shutdown = (signal: string) => {
      logger.info({ signal }, 'draining');
      relay.stop().then(
        () => resolve(0),
        (err: unknown) => {
          logger.error({ err }, 'stop failed');
          resolve(1);
        },
      );
    };
    process.once('SIGTERM', shutdown);
    process.once('SIGINT', shutdown);
  });
}
