import { parseArgs } from 'node:util';
import { loadConfig } from '../config/load.ts';
import { ConfigError } from '../errors.ts';
import { createRelay } from '../main.ts';
import { createLogger } from '../ops/logger.ts';
import type { Command } from './command.ts';

export const startCommand: Command = {
  name: 'start',
  summary: 'run the relay',
  usage: 'hookrelay start [--config FILE] [--port N] [--host ADDR] [--data-dir DIR]',
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        config: { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        'data-dir': { type: 'string' },
      },
    });
    const logger = createLogger();
    let relay: Awaited<ReturnType<typeof createRelay>>;
    try {
      const config = loadConfig({
        flags: { config: values.config, port: values.port, host: values.host, dataDir: values['data-dir'] },
      });
      relay = await createRelay({ config, logger });
      await relay.start();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      logger.fatal({ kind: error instanceof ConfigError ? 'config' : 'start-up' }, message);
      console.error(`hookrelay: ${message}`);
      return 1;
    }
    // SIGTERM/SIGINT: stop taking requests, let in-flight ones finish and flush, then exit 0.
    return await new Promise<number>((resolve) => {
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
  },
};
