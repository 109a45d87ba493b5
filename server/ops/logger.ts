import { pino, type Logger } from 'pino';

export type { Logger };

/** JSON logs; anything that could carry a secret is redacted wherever it appears. */
export function createLogger(options: { level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  return pino(
    {
      level: options.level ?? process.env.HOOKRELAY_LOG_LEVEL ?? 'info',
      base: { service: 'hookrelay' },
      redact: {
        paths: [
          '*.secret',
          '*.secrets',
          '*.apiKey',
          '*.token',
          '*.authorization',
          '*.headers.authorization',
          '*.headers.cookie',
          'req.headers.authorization',
        ],
        censor: '[redacted]',
      },
    },
    options.destination ?? process.stdout,
  );
}
