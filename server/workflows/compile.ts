import { Validator } from 'jsonschema';
import { isMap, isScalar, LineCounter, type Node, parseDocument } from 'yaml';
import { durationSchema, type StepPlugin } from '../../plugins/sdk.ts';
import { flowDepthPast, MAX_YAML_FLOW_DEPTH, repeatedKeys, toPlain } from '../config/yaml-plain.ts';
import type { CompiledStep, RetryPolicy, Trigger, Unit, Workflow } from './definition.ts';
import { workflowSchema } from './definition.ts';
import { DURATION_HINT, parseDuration } from './duration.ts';
import { EXPRESSION_DEFAULTS, type ExpressionSettings } from './expression-limits.ts';
import { compileSchedule, type Schedule, ScheduleError, type ScheduleSpec } from './schedule.ts';
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
  /** Names `secrets.X` may use (`workflows.secrets`); null: not checked. */
  secrets?: readonly string[] | null;
}

type RawStep = {
  id: string;
  uses?: string;
  parallel?: RawStep[];
  foreach?: string;
  concurrency?: number;
  continueOnError?: boolean;
  with?: Record<string, unknown>;
  if?: string;
  retry?: Record<string, unknown>;
  timeout?: unknown;
};
type Path = Array<string | number>;

interface ProblemSink {
  readonly list: Problem[];
  add(path: Path, message: string, offset?: number): void;
  position(path: Path): { line: number; col: number };
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
    this.list.push({ ...this.position(path, offset), message });
  }

  position(path: Path, offset = 0): { line: number; col: number } {
    let node: unknown = null;
    for (let depth = path.length; depth >= 0 && !node; depth--) node = this.doc.getIn(path.slice(0, depth), true);
    const start = ((node as Node | null)?.range?.[0] ?? 0) + quoteShift(node as Node | null) + offset;
    return this.lines.linePos(start);
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
  const sink: ProblemSink = {
    list,
    add: (_path, message) => list.push({ line: 1, col: 1, message }),
    position: () => ({ line: 1, col: 1 }),
  };
  return build(file, text, data, sink, options);
}

function build(file: string, text: string, data: unknown, problems: ProblemSink, options: CompileOptions): CompileResult {
  const compiler = new StepCompiler(problems, options);
  const raw = data as {
    name: string;
    on?: Record<string, unknown>;
    concurrency?: number;
    steps: RawStep[];
    onError?: RawStep[];
    output?: string;
  };
  const { schedule: scheduleSpec, ...on } = raw.on ?? {};
  // `on: { schedule }` alone: no event triggers the workflow.
  const trigger = raw.on && (Object.keys(on).length > 0 || !scheduleSpec) ? compiler.trigger(on) : null;
  const schedule = scheduleSpec ? compiler.schedule(scheduleSpec as ScheduleSpec) : null;
  const units = compiler.units(raw.steps, ['steps']);
  const steps = units.flatMap((u) => (u.kind === 'step' ? [u.step] : u.steps));
  const stepIds = steps.map((s) => s.id);
  const onError = compiler.steps(raw.onError ?? [], ['onError'], stepIds);
  const output = raw.output === undefined ? null : compiler.output(raw.output, stepIds);
  if (problems.list.length > 0) return { workflow: null, problems: problems.list };
  const calls = compiler.calls;
  return {
    workflow: {
      name: raw.name,
      file,
      text,
      trigger,
      schedule,
      concurrency: raw.concurrency ?? null,
      steps,
      units,
      onError,
      output,
      calls,
    },
    problems: [],
  };
}

function isDurationSchema(schema: unknown): boolean {
  return JSON.stringify(schema) === JSON.stringify(durationSchema);
}

class StepCompiler {
  /** The workflows `workflow.call` steps name, with where (checked once every file has loaded). */
  readonly calls: Workflow['calls'] = [];
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

  /**
   * The main steps: a step refers to those before it; the branches of a `parallel:` group to the steps
   * before the group (not to each other), and the steps after it to every branch.
   */
  units(raw: RawStep[], at: Path): Unit[] {
    const known: string[] = [];
    const taken = new Set<string>();
    const all = new Set(raw.flatMap((s) => [s.id, ...(s.parallel ?? []).map((b) => b.id)]));
    const out: Unit[] = [];
    const claim = (id: string, path: Path) => {
      if (taken.has(id)) this.problems.add([...path, 'id'], `duplicate step id "${id}"`);
      taken.add(id);
    };
    for (const [i, step] of raw.entries()) {
      const path = [...at, i];
      claim(step.id, path);
      if (!step.parallel) {
        if (step.uses === undefined) this.problems.add(path, `step "${step.id}" needs uses: (a step) or parallel: (a group)`);
        const compiled = step.uses === undefined ? null : this.step(step, path, known, all, null);
        if (compiled) out.push({ kind: 'step', step: compiled });
        known.push(step.id);
        continue;
      }
      const extra = Object.keys(step).filter((key) => key !== 'id' && key !== 'parallel' && key !== 'name');
      if (extra.length > 0)
        this.problems.add([...path, extra[0]], `a parallel: group has only id, name and parallel (found ${extra.join(', ')})`);
      const branches: CompiledStep[] = [];
      for (const [j, branch] of step.parallel.entries()) {
        claim(branch.id, [...path, 'parallel', j]);
        const compiled = this.step(branch, [...path, 'parallel', j], known, all, step.id);
        if (compiled) branches.push(compiled);
      }
      known.push(...step.parallel.map((b) => b.id));
      out.push({ kind: 'parallel', id: step.id, steps: branches });
    }
    return out;
  }

  schedule(spec: ScheduleSpec): Schedule | null {
    try {
      return compileSchedule(spec);
    } catch (error) {
      if (!(error instanceof ScheduleError)) throw error;
      this.problems.add(['on', 'schedule', ...(error.field ? [error.field] : [])], error.message);
      return null;
    }
  }

  /** `earlier` holds the ids a step may refer to (onError: every step). */
  steps(raw: RawStep[], at: Path, earlier: string[]): CompiledStep[] {
    const known = [...earlier];
    const all = new Set(raw.map((s) => s.id).concat(earlier));
    const out: CompiledStep[] = [];
    for (const [i, step] of raw.entries()) {
      const path = [...at, i];
      if (known.includes(step.id)) this.problems.add([...path, 'id'], `duplicate step id "${step.id}"`);
      const compiled = this.step(step, path, known, all, null);
      if (compiled) out.push(compiled);
      known.push(step.id);
    }
    return out;
  }

  output(source: string, stepIds: string[]): Evaluate | null {
    return this.expression(['output'], source, this.condition, stepIds, new Set(stepIds));
  }

  private step(step: RawStep, path: Path, earlier: string[], all: Set<string>, group: string | null): CompiledStep | null {
    const uses = step.uses ?? '';
    const plugin = this.options.plugins(uses);
    if (!plugin) {
      this.problems.add([...path, 'uses'], `unknown step type "${uses}"`);
      return null;
    }
    if (step.foreach === undefined && (step.concurrency !== undefined || step.continueOnError !== undefined)) {
      const key = step.concurrency !== undefined ? 'concurrency' : 'continueOnError';
      this.problems.add([...path, key], `${key} applies to foreach: add foreach to the step or remove ${key}`);
    }
    if (step.foreach !== undefined && plugin.foreach === false) {
      this.problems.add([...path, 'foreach'], `${uses} cannot run in a foreach`);
    }
    const before = this.problems.list.length;
    const given = step.with ?? {};
    const checked = new Validator().validate(given, plugin.schema, { nestedErrors: false });
    for (const error of checked.errors) {
      const where = `with${error.path.map((p) => `.${p}`).join('')}`;
      const message = isDurationSchema(error.schema)
        ? `bad duration ${JSON.stringify(error.instance)}: ${DURATION_HINT}`
        : error.message;
      this.problems.add([...path, 'with', ...error.path], `${uses}: ${where} ${message}`);
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
    if (uses === 'workflow.call' && typeof given.workflow === 'string') {
      this.calls.push({ step: step.id, workflow: given.workflow, ...this.problems.position([...path, 'with', 'workflow']) });
    }
    const foreach =
      step.foreach === undefined ? null : this.expression([...path, 'foreach'], step.foreach, this.condition, earlier, all);
    if (this.problems.list.length > before) return null;
    return {
      id: step.id,
      uses,
      plugin,
      params: this.value(plain),
      deferred,
      condition,
      retry,
      timeoutMs,
      foreach,
      concurrency: step.concurrency ?? 1,
      continueOnError: step.continueOnError ?? false,
      group,
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
    for (const found of source.matchAll(/\bsecrets\s*\.\s*([A-Za-z_]\w*)/g)) {
      const secrets = this.options.secrets;
      if (secrets && !secrets.includes(found[1])) {
        this.problems.add(at, `secrets.${found[1]} is not allowed: list it under workflows.secrets in the config`);
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
