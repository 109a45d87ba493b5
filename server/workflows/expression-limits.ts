import type jsonata from 'jsonata';

/** Bounds on every expression evaluation (workflows.expressionTimeoutMs, workflows.expressionMaxDepth). */
export interface ExpressionLimits {
  timeoutMs: number;
  maxDepth: number;
}

export const EXPRESSION_DEFAULTS: ExpressionLimits = { timeoutMs: 1000, maxDepth: 1000 };

/**
 * How expressions are compiled: `lazy` defers JSONata's parse to the first evaluation, for text that
 * has already been checked elsewhere (parsing thousands of expressions takes seconds).
 */
export type ExpressionSettings = ExpressionLimits & { lazy?: boolean };

/** A runaway expression: its step fails with this code (then its retry policy applies, where one does). */
export class ExpressionTimeout extends Error {
  readonly code = 'expression_timeout';
  constructor(message: string) {
    super(message);
    this.name = 'ExpressionTimeout';
  }
}

/** The code a step failure carries (ExpressionTimeout's `expression_timeout`), if any. */
export function failureCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'expression_timeout' ? code : undefined;
}

/** JSONata's guardrail errors (D1012: out of time, D1011: too deep) as ExpressionTimeout; others: null. */
export function runawayError(error: unknown, limits: ExpressionLimits): ExpressionTimeout | null {
  const code = (error as { code?: string } | null)?.code;
  if (code === 'D1012')
    return new ExpressionTimeout(
      `expression_timeout: the expression ran longer than ${limits.timeoutMs} ms (workflows.expressionTimeoutMs)`,
    );
  if (code === 'D1011')
    return new ExpressionTimeout(
      `expression_timeout: the expression nested deeper than ${limits.maxDepth} levels (workflows.expressionMaxDepth)`,
    );
  return null;
}

/** Longest stretch an evaluation runs before it lets the event loop take a turn. */
const SLICE_MS = 5;
const ENTRY = Symbol.for('jsonata.__evaluate_entry');
/** Per evaluation (JSONata's per-call root frame): when it last gave the event loop a turn. */
const lastTurn = new WeakMap<object, number>();

/**
 * JSONata evaluates with promises that are already settled, so a long evaluation never returns to
 * the event loop: no request is answered until it ends. JSONata awaits the entry hook it calls for
 * every node; the hook lets the event loop run every SLICE_MS (the same hook JSONata's own exerciser
 * uses to timebox expressions).
 */
export function timeSliced(expression: jsonata.Expression): void {
  const onEntry = (_node: unknown, _input: unknown, environment: { base: object }): Promise<void> | undefined => {
    const now = performance.now();
    const last = lastTurn.get(environment.base);
    if (last === undefined) {
      lastTurn.set(environment.base, now);
      return undefined;
    }
    if (now - last < SLICE_MS) return undefined;
    return new Promise<void>((resolve) =>
      setImmediate(() => {
        lastTurn.set(environment.base, performance.now());
        resolve();
      }),
    );
  };
  // The typings know only string names; JSONata looks its hooks up by these symbols.
  expression.assign(ENTRY as unknown as string, onEntry);
}
