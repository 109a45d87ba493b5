// Two kinds of failure (style.md §3): untrusted input becomes a RelayError that one handler maps to a
// coded JSON body; misconfiguration is a ConfigError that stops start-up with the key path and the fix.

/** Codes any part of the relay may throw; each subsystem adds its own in its `error-codes.ts`. */
export const RELAY_ERROR_CODES = [
  'bad_request',
  'invalid_json',
  'invalid_request',
  'json_too_deep',
  'unauthorized',
  'forbidden',
  'insufficient_scope',
  'not_found',
  'conflict',
  'payload_too_large',
  'unsupported_media_type',
  'rate_limited',
  'internal_error',
  'store_unavailable',
] as const;

export type RelayErrorCode = (typeof RELAY_ERROR_CODES)[number];

/**
 * A refusal the caller can act on: a code (listed in README's catalogue), a message, and details that
 * go into the answer next to them. It says what went wrong, never how to answer it: `http/errors.ts`
 * picks the status.
 */
export class RelayError extends Error {
  readonly code: string;
  readonly details?: Record<string, unknown>;
  /** False when the same request fails the same way again, so clients should not retry it. */
  retryable?: false;
  constructor(code: string, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'RelayError';
    this.code = code;
    this.details = details;
  }

  /** Marks the failure as one a repeat of the same request meets again. */
  notRetryable(): this {
    this.retryable = false;
    return this;
  }
}

/** Misconfiguration: the message reads `file:line:col: key.path: what was expected`, one line. */
export class ConfigError extends Error {
  readonly file: string | undefined;
  readonly keyPath: string;
  readonly problem: string;
  readonly position: { line: number; col: number } | undefined;
  constructor(keyPath: string, problem: string, file?: string, position?: { line: number; col: number }) {
    const where = file ? `${file}${position ? `:${position.line}:${position.col}` : ''}: ` : '';
    super(`${where}${keyPath ? `${keyPath}: ` : ''}${problem}`);
    this.name = 'ConfigError';
    this.file = file;
    this.keyPath = keyPath;
    this.problem = problem;
    this.position = position;
  }

  /** The same problem, placed in a file (for errors raised before the file was known). */
  in(file: string, position?: { line: number; col: number }): ConfigError {
    return new ConfigError(this.keyPath, this.problem, file, position);
  }
}

/** Every problem one pass over a config file found: the message has one `file:line:col: ...` line each. */
export class ConfigProblems extends ConfigError {
  readonly problems: readonly ConfigError[];
  constructor(problems: readonly ConfigError[]) {
    const [first] = problems;
    super(first.keyPath, first.problem, first.file, first.position);
    this.name = 'ConfigProblems';
    this.problems = problems;
    this.message = problems.map((p) => p.message).join('\n');
  }

  /** One problem as itself, several as one error; nothing to throw when the list is empty. */
  static of(problems: readonly ConfigError[]): ConfigError | null {
    if (problems.length === 0) return null;
    return problems.length === 1 ? problems[0] : new ConfigProblems(problems);
  }
}

/** The store cannot take writes (disk full, closed): ingest answers 503 and stores nothing. */
export class StoreUnavailableError extends RelayError {
  constructor(message = 'The event store is not accepting writes right now.', cause?: unknown) {
    super('store_unavailable', message);
    if (cause) this.cause = cause;
  }
}
