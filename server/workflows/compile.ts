import { Validator } from 'jsonschema';
import { isMap, isScalar, LineCounter, type Node, parseDocument } from 'yaml';
import { durationSchema, type StepPlugin } from '../../plugins/sdk.ts';
import { flowDepthPast, MAX_YAML_FLOW_DEPTH, repeatedKeys, toPlain } from '../config/yaml-plain.ts';
import type { CompiledStep, RetryPolicy, Trigger, Workflow } from './definition.ts';
import { workflowSchema } from './definition.ts';
import { DURATION_HINT, parseDuration } from './duration.ts';
import { EXPRESSION_DEFAULTS, type ExpressionSettings } from './expression-limits.ts';
import { compileCondition, compileValue, type Evaluate, ExpressionError, referencedSteps } from './expressions.ts';

// Turns a workflow file's text into a compiled Workflow, or into problems that each carry the YAML
// line and column, so `hookrelay validate`, the API and the console all point at the same place.

export interface Problem {
  line: number;
  col: number;
  message: string;
}

export interface CompileResult {
  workflow: Workflow | null;
  problems: Problem[];
  /** The file as plain data, when it compiled: what compileChecked() builds from. */
  data?: unknown;
}

export interface CompileOptions {
  plugins: (name: string) => StepPlugin | undefined;
  /** Names `env.X` may use; others are reported. null: not checked (no config at hand). */
  env: readonly string[] | null;
  /** Bounds on every evaluation of the file's expressions (default: EXPRESSION_DEFAULTS); `lazy`: see ExpressionSettings. */
  expressions?: ExpressionSettings;
}

type RawStep = {
  id: string;
  uses: string;
  with?: Record<string, unknown>;
  if?: string;
  retry?: Record<string, unknown>;
  timeout?: unknown;
};
type Path = Array<string | number>;

interface ProblemSink {
  readonly list: Problem[];
  add(path: Path, message: string, offset?: number): void;
}

class Problems implements ProblemSink {
  readonly list: Problem[] = [];
  private readonly doc: ReturnType<typeof parseDocument>;
  private readonly lines: LineCounter;
  constructor(doc: ReturnType<typeof parseDocument>, lines: LineCounter) {
    this.doc = doc;
    this.lines = lines;
  }
  /** Reports at the node for `path` (or its nearest existing parent), plus an offset inside a string. */
  add(path: Path, message: string, offset = 0): void {
    let node: unknown = null;
    for (let depth = path.length; depth >= 0 && !node; depth--) node = this.doc.getIn(path.slice(0, depth), true);
    const start = ((node as Node | null)?.range?.[0] ?? 0) + quoteShift(node as Node | null) + offset;
    const { line, col } = this.lines.linePos(start);
    this.list.push({ line, col, message });
  }
}

/** A quoted scalar's text starts one character after its node. */
function quoteShift(node: Node | null): number {
  return isScalar(node) && (node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE') ? 1 : 0;
}

export function compileWorkflow(file: string, text: string, options: CompileOptions): CompileResult {
  const lines = new LineCounter();
  const tooDeep = flowDepthPast(text);
  if (tooDeep >= 0) {
    // Positions come from the counter the parser fills; here the text is never parsed.
    const line = text.slice(0, tooDeep).split('\n').length;
    const col = tooDeep - text.lastIndexOf('\n', tooDeep - 1);
    const message = `flow collections ([ ], { }) nested more than ${MAX_YAML_FLOW_DEPTH} levels deep`;
    return { workflow: null, problems: [{ line, col, message }] };
  }
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false });
  const syntax = [
    ...doc.errors.map((e) => ({ ...lines.linePos(e.pos[0]), message: e.message.split('\n')[0] })),
    ...repeatedKeys(doc).map((offset) => ({ ...lines.linePos(offset), message: 'Map keys must be unique' })),
  ];
  if (syntax.length > 0) return { workflow: null, problems: syntax.sort((a, b) => a.line - b.line || a.col - b.col) };
  const plain = toPlain(doc);
  if (!plain.ok) return { workflow: null, problems: [{ ...lines.linePos(plain.offset), message: plain.message }] };
  const problems = new Problems(doc, lines);
  const data = plain.value as Record<string, unknown> | null;
  if (!isMap(doc.contents)) {
    problems.add([], 'a workflow file is a mapping with name, on and steps');
    return { workflow: null, problems: problems.list };
  }
  const result = new Validator().validate(data, workflowSchema, { nestedErrors: false });
  for (const error of result.errors) problems.add(error.path, `${error.path.join('.') || 'workflow'} ${error.message}`);
  if (problems.list.length > 0) return { workflow: null, problems: problems.list };
  const built = build(file, text, data, problems, options);
  return built.workflow ? { ...built, data } : built;
}

/**
 * Builds the workflow from a file's data that compileWorkflow() has already checked (in a worker
 * thread), without parsing the YAML again. A problem found here anyway is reported at 1:1.
 */
export function compileChecked(file: string, text: string, data: unknown, options: CompileOptions): CompileResult {
  const list: Problem[] = [];
  return build(file, text, data, { list, add: (_path, message) => list.push({ line: 1, col: 1, message }) }, options);
}

function build(file: string, text: string, data: unknown, problems: ProblemSink, options: CompileOptions): CompileResult {
  const compiler = new StepCompiler(problems, options);
  const raw = data as { name: string; on?: Record<string, unknown>; concurrency?: number; steps: RawStep[]; onError?: RawStep[] };
  const trigger = raw.on ? compiler.trigger(raw.on) : null;
  const steps = compiler.steps(raw.steps, ['steps'], []);
  const onError = compiler.steps(
    raw.onError ?? [],
    ['onError'],
    raw.steps.map((s) => s.id),
  );
  if (problems.list.length > 0) return { workflow: null, problems: problems.list };
  return {
    workflow: { name: raw.name, file, text, trigger, concurrency: raw.concurrency ?? null, steps, onError },
    problems: [],
  };
}

function isDurationSchema(schema: unknown): boolean {
  return JSON.stringify(schema) === JSON.stringify(durationSchema);
}

class StepCompiler {
  private readonly problems: ProblemSink;
  private readonly options: CompileOptions;
  private readonly condition: (source: string) => Evaluate;
  private readonly value: (value: unknown) => Evaluate;
  constructor(problems: ProblemSink, options: CompileOptions) {
    this.problems = problems;
    this.options = options;
    const limits = options.expressions ?? EXPRESSION_DEFAULTS;
    this.condition = (source) => compileCondition(source, limits);
    this.value = (value) => compileValue(value, limits);
  }

  trigger(on: Record<string, unknown>): Trigger {
    const types = on.type === undefined ? [] : Array.isArray(on.type) ? (on.type as string[]) : [on.type as string];
    const condition = typeof on.if === 'string' ? this.expression(['on', 'if'], on.if, this.condition, []) : null;
    return { source: (on.source as string | undefined) ?? null, types, condition };
  }

  /** `earlier` holds the ids a step may refer to: those before it (onError: every step). */
  steps(raw: RawStep[], at: Path, earlier: string[]): CompiledStep[] {
    const known = [...earlier];
    const all = new Set(raw.map((s) => s.id).concat(earlier));
    const out: CompiledStep[] = [];
    for (const [i, step] of raw.entries()) {
      const path = [...at, i];
      if (known.includes(step.id)) this.problems.add([...path, 'id'], `duplicate step id "${step.id}"`);
      const compiled = this.step(step, path, known, all);
      if (compiled) out.push(compiled);
      known.push(step.id);
    }
    return out;
  }

  private step(step: RawStep, path: Path, earlier: string[], all: Set<string>): CompiledStep | null {
    const plugin = this.options.plugins(step.uses);
    if (!plugin) {
      this.problems.add([...path, 'uses'], `unknown step type "${step.uses}"`);
      return null;
    }
    const before = this.problems.list.length;
    const given = step.with ?? {};
    const checked = new Validator().validate(given, plugin.schema, { nestedErrors: false });
    for (const error of checked.errors) {
      const where = `with${error.path.map((p) => `.${p}`).join('')}`;
      const message = isDurationSchema(error.schema)
        ? `bad duration ${JSON.stringify(error.instance)}: ${DURATION_HINT}`
        : error.message;
      this.problems.add([...path, 'with', ...error.path], `${step.uses}: ${where} ${message}`);
    }
    const deferredNames = new Set(plugin.deferred ?? []);
    const plain: Record<string, unknown> = {};
    const deferred: Record<string, Evaluate> = {};
    for (const [key, value] of Object.entries(given)) {
      const at = [...path, 'with', key];
      if (deferredNames.has(key) && typeof value === 'string') {
        const evaluate = this.expression(at, value, this.condition, earlier, all);
        if (evaluate) deferred[key] = evaluate;
      } else {
        plain[key] = value;
        this.checkStrings(at, value, earlier, all);
      }
    }
    const condition = step.if ? this.expression([...path, 'if'], step.if, this.condition, earlier, all) : null;
    const retry = this.retry(step.retry ?? {}, [...path, 'retry']);
    const timeoutMs = step.timeout === undefined ? null : this.duration([...path, 'timeout'], step.timeout);
    if (this.problems.list.length > before) return null;
    return {
      id: step.id,
      uses: step.uses,
      plugin,
      params: this.value(plain),
      deferred,
      condition,
      retry,
      timeoutMs,
    };
  }

  /** Compiles every string inside `with` once here, only to report problems with their positions. */
  private checkStrings(at: Path, value: unknown, earlier: string[], all: Set<string>): void {
    if (typeof value === 'string') this.expression(at, value, this.value, earlier, all);
    else if (Array.isArray(value)) {
      for (const [i, v] of value.entries()) this.checkStrings([...at, i], v, earlier, all);
    } else if (value && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) this.checkStrings([...at, k], v, earlier, all);
    }
  }

  private expression<T>(
    at: Path,
    source: string,
    compile: (s: string) => T,
    earlier: string[],
    all = new Set<string>(),
  ): T | null {
    let compiled: T;
    try {
      compiled = compile(source);
    } catch (error) {
      if (!(error instanceof ExpressionError)) throw error;
      this.problems.add(at, error.message, error.offset);
      return null;
    }
    for (const id of referencedSteps(source)) {
      if (earlier.includes(id)) continue;
      this.problems.add(at, all.has(id) ? `step "${id}" runs later: refer only to earlier steps` : `unknown step "${id}"`);
    }
    for (const found of source.matchAll(/\benv\s*\.\s*([A-Za-z_]\w*)/g)) {
      if (this.options.env && !this.options.env.includes(found[1])) {
        this.problems.add(at, `env.${found[1]} is not allowed: list it under workflows.env in the config`);
      }
    }
    return compiled;
  }

  private duration(at: Path, value: unknown): number {
    const ms = parseDuration(value);
    if (ms === null) this.problems.add(at, `bad duration "${String(value)}": ${DURATION_HINT}`);
    return ms ?? 0;
  }

  private retry(raw: Record<string, unknown>, at: Path): RetryPolicy {
    return {
      attempts: (raw.attempts as number | undefined) ?? 1,
      backoff: (raw.backoff as RetryPolicy['backoff'] | undefined) ?? 'exponential',
      delayMs: raw.delay === undefined ? 1000 : this.duration([...at, 'delay'], raw.delay),
      maxDelayMs: raw.maxDelay === undefined ? 60_000 : this.duration([...at, 'maxDelay'], raw.maxDelay),
    };
  }
}
