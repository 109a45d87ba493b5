import jsonata from 'jsonata';
import { EXPRESSION_DEFAULTS, type ExpressionSettings, runawayError, timeSliced } from './expression-limits.ts';

// Expressions are JSONata inside {{ }}. A string that is exactly one {{ }} keeps the expression's type;
// a string mixing text and {{ }} interpolates. Everything is compiled once, when a workflow loads.

export type Evaluate = (context: Record<string, unknown>) => Promise<unknown>;

export class ExpressionError extends Error {
  /** Offset of the problem inside the YAML string, when JSONata reports one. */
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(message);
    this.name = 'ExpressionError';
    this.offset = offset;
  }
}

const WHOLE = /^\s*\{\{([\s\S]*?)\}\}\s*$/;
const PART = /\{\{([\s\S]*?)\}\}/g;
const STEP_REF = /\bsteps\s*\.\s*(?:`([^`]+)`|([A-Za-z_$][\w$]*))/g;

/**
 * Compiles raw JSONata (no braces); throws ExpressionError with the offset inside `source`. Every
 * evaluation is bounded in time and depth (`limits`) and gives the event loop a turn every few
 * milliseconds, so a runaway expression fails its step with `expression_timeout` while the relay
 * keeps answering (issue 14).
 */
export function compileJsonata(source: string, offset = 0, limits: ExpressionSettings = EXPRESSION_DEFAULTS): Evaluate {
  const parse = (): jsonata.Expression => {
    let expression: jsonata.Expression;
    try {
      // JSONata's own guardrails: checked on entry to every node it evaluates.
      expression = jsonata(source, { timeout: limits.timeoutMs, stack: limits.maxDepth });
    } catch (error) {
      const e = error as { message: string; position?: number };
      throw new ExpressionError(`bad expression "${source.trim()}": ${e.message}`, offset + Math.max(0, (e.position ?? 1) - 1));
    }
    timeSliced(expression);
    return expression;
  };
  let parsed = limits.lazy ? null : parse();
  const evaluate: Evaluate = async (context) => {
    parsed ??= parse();
    try {
      return normalise(await parsed.evaluate(context));
    } catch (error) {
      throw runawayError(error, limits) ?? error;
    }
  };
  const path = plainPath(source);
  return path ? walkOr(path, evaluate) : evaluate;
}

const PLAIN_PATH = /^\s*[A-Za-z_]\w*(?:\s*\.\s*[A-Za-z_]\w*)*\s*$/;
const NOT_NAMES = new Set(['and', 'or', 'in', 'true', 'false', 'null']);

/** `event.payload.id`-style expressions (the most common by far) as their names, else null. */
function plainPath(source: string): string[] | null {
  if (!PLAIN_PATH.test(source)) return null;
  const names = source.split('.').map((name) => name.trim());
  return names.some((name) => NOT_NAMES.has(name)) ? null : names;
}

/**
 * A plain path read directly, which is what JSONata does for own properties of plain objects; anything
 * else on the way (an array, whose JSONata semantics map over items, a primitive, an inherited name) or
 * an array at the end goes to JSONata itself. Saves JSONata's evaluation machinery on every run.
 */
function walkOr(path: string[], jsonataEvaluate: Evaluate): Evaluate {
  return async (context) => {
    let value: unknown = context;
    for (const name of path) {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return jsonataEvaluate(context);
      if (!Object.hasOwn(value, name)) return Object.getPrototypeOf(value) === Object.prototype ? null : jsonataEvaluate(context);
      value = (value as Record<string, unknown>)[name];
    }
    return Array.isArray(value) ? jsonataEvaluate(context) : (value ?? null);
  };
}

/** JSONata returns sequences with extra markers and `undefined` for no match: make them plain JSON. */
function normalise(value: unknown): unknown {
  if (value === undefined) return null;
  if (Array.isArray(value)) return Array.from(value, normalise);
  return value;
}

export function isTemplate(value: string): boolean {
  return value.includes('{{');
}

/** Compiles one string: a constant, a whole expression (typed) or an interpolation (string). */
export function compileString(value: string, limits: ExpressionSettings = EXPRESSION_DEFAULTS): Evaluate {
  if (!isTemplate(value)) return async () => value;
  const whole = WHOLE.exec(value);
  if (whole && !whole[1].includes('{{')) return compileJsonata(whole[1], value.indexOf('{{') + 2, limits);
  const parts: Array<string | Evaluate> = [];
  let last = 0;
  for (const found of value.matchAll(PART)) {
    parts.push(value.slice(last, found.index));
    parts.push(compileJsonata(found[1], found.index + 2, limits));
    last = found.index + found[0].length;
  }
  parts.push(value.slice(last));
  return async (context) => {
    let out = '';
    for (const part of parts) {
      if (typeof part === 'string') out += part;
      else out += stringify(await part(context));
    }
    return out;
  };
}

function stringify(value: unknown): string {
  if (value === null || value === undefined) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** A condition may be written with or without braces: `"{{ a = 1 }}"` or `"a = 1"`. */
export function compileCondition(value: string, limits: ExpressionSettings = EXPRESSION_DEFAULTS): Evaluate {
  return isTemplate(value) ? compileString(value, limits) : compileJsonata(value, 0, limits);
}

/** Compiles every string inside a value (objects and arrays walked); constants stay constants. */
export function compileValue(value: unknown, limits: ExpressionSettings = EXPRESSION_DEFAULTS): Evaluate {
  if (typeof value === 'string') return compileString(value, limits);
  if (Array.isArray(value)) {
    const items = value.map((item) => compileValue(item, limits));
    return async (context) => Promise.all(items.map((item) => item(context)));
  }
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).map(([key, inner]) => [key, compileValue(inner, limits)] as const);
    return async (context) => {
      const out: Record<string, unknown> = {};
      for (const [key, evaluate] of entries) out[key] = await evaluate(context);
      return out;
    };
  }
  return async () => value;
}

/** Step ids an expression refers to as `steps.<id>`, for checking references at load. */
export function referencedSteps(source: string): string[] {
  return Array.from(source.matchAll(STEP_REF), (m) => m[1] ?? m[2]);
}
