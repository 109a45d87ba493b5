import { pino, type Logger } from 'pino';

export type { Logger };

/** JSON logs; anything that could carry a secret is redacted wherever it appears. */
export function createLogger(options: { level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  return pino(
    {
      level: options.level ?? process.env.HOOKRELAY_LOG_LEVEL ?? 'info',
      base: { service: 'hookrelay' },
      redact: {
        // pino paths are exact (one `*` = one level), so each shape we might log is listed.
        paths: [
          'secret',
          'secrets',
          'token',
          'apiKey',
          'authorization',
          '*.secret',
          '*.secrets',
          '*.apiKey',
          '*.token',
          '*.authorization',
          '*.verify.secrets',
          '*.*.verify.secrets',
          'sources[*].verify.secrets',
          '*.sources[*].verify.secrets',
          '*.upstreams[*].apiKey',
          '*.*.upstreams[*].apiKey',
          '*.headers.authorization',
          '*.headers.cookie',
          '*.headers["proxy-authorization"]',
          'req.headers.authorization',
        ],
        censor: '[redacted]',
      },
    },
    options.destination ?? process.stdout,
  );
}
