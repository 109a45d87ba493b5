// Two kinds of failure (style.md §3): untrusted input becomes an HttpError that one handler maps to a
// coded JSON body; misconfiguration is a ConfigError that stops start-up with the key path and the fix.

/** Every error code the HTTP surface can return, with its status. README's table is checked against this. */
export const ERROR_CODES = {
  bad_request: 400,
  invalid_json: 400,
  invalid_request: 400,
  json_too_deep: 400,
  unknown_scope: 400,
  unauthorized: 401,
  signature_missing: 401,
  signature_invalid: 401,
  timestamp_out_of_tolerance: 401,
  forbidden: 403,
  insufficient_scope: 403,
  not_found: 404,
  source_not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal_error: 500,
  store_unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class HttpError extends Error {
  readonly code: string;
  readonly status: number;
  readonly details?: Record<string, unknown>;
  /** Response headers that go with this error (e.g. `x-should-retry: false`). */
  headers?: Record<string, string>;
  constructor(code: ErrorCode | string, message: string, status?: number, details?: Record<string, unknown>) {
    super(message);
    this.name = 'HttpError';
    this.code = code;
    this.status = status ?? (ERROR_CODES as Record<string, number>)[code] ?? 400;
    this.details = details;
  }

  withHeaders(headers: Record<string, string>): this {
    this.headers = { ...this.headers, ...headers };
    return this;
  }
}

/** Registers codes that subsystems add (delivery, workflows, AI), so the catalogue stays one list. */
export function defineErrorCodes(codes: Record<string, number>): void {
  Object.assign(ERROR_CODES as Record<string, number>, codes);
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
export class StoreUnavailableError extends HttpError {
  constructor(message = 'The event store is not accepting writes right now.', cause?: unknown) {
    super('store_unavailable', message, 503);
    if (cause) this.cause = cause;
  }
}
