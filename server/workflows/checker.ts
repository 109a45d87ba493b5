import { Worker } from 'node:worker_threads';
import { type CompileOptions, compileWorkflow, type Problem } from './compile.ts';
import type { Workflow } from './definition.ts';
import type { ExpressionLimits } from './expression-limits.ts';

/**
 * Checks a workflow file's text with every check `hookrelay validate` makes. The relay checks in a
 * worker thread: parsing a large file (thousands of expressions) takes seconds, and on the event loop
 * those seconds would hold every request (issue 14). The in-process twin serves tests and tools.
 */
export interface WorkflowChecker {
  /** The file's problems; none means it compiles, and `data` is the file as plain data. */
  check(file: string, text: string): Promise<CheckResult>;
  close(): Promise<void>;
}

export interface CheckResult {
  problems: Problem[];
  data?: unknown;
  /** The `workflow.call` steps with their positions in the file (the built workflow has no positions). */
  calls?: Workflow['calls'];
}

/** What the worker needs to check as the relay would: the same plugins, env and secret names, and bounds. */
export interface CheckerSetup {
  plugins: string[];
  baseDir: string;
  env: string[];
  secrets: string[];
  expressions: ExpressionLimits;
}

export interface CheckRequest {
  id: number;
  file: string;
  text: string;
}
export interface CheckAnswer extends CheckResult {
  id: number;
}

const atStart = (message: string): CheckResult => ({ problems: [{ line: 1, col: 1, message }] });

export function inProcessChecker(options: CompileOptions): WorkflowChecker {
  return {
    check: async (file, text) => {
      const { problems, data, workflow } = compileWorkflow(file, text, options);
      return { problems, data, calls: workflow?.calls };
    },
    close: async () => {},
  };
}

/** One worker, started on first use; a check that takes longer than `timeoutMs` stops it (the next starts another). */
export function workerChecker(setup: CheckerSetup, timeoutMs = 60_000): WorkflowChecker {
  let worker: Worker | null = null;
  let nextId = 0;
  const pending = new Map<number, { resolve(result: CheckResult): void; timer: NodeJS.Timeout }>();

  const settle = (id: number, result: CheckResult) => {
    const waiting = pending.get(id);
    if (!waiting) return;
    pending.delete(id);
    clearTimeout(waiting.timer);
    waiting.resolve(result);
  };
  const failAll = (message: string) => {
    for (const id of [...pending.keys()]) settle(id, atStart(message));
  };

  function start(): Worker {
    const started = new Worker(new URL('./check-worker.ts', import.meta.url), { workerData: setup });
    // Never what keeps the process alive: the relay's server does that.
    started.unref();
    started.on('message', ({ id, problems, data, calls }: CheckAnswer) => settle(id, { problems, data, calls }));
    started.on('error', (error) => failAll(`the file could not be checked: ${error.message}`));
    started.on('exit', () => {
      if (worker === started) worker = null;
      failAll('the file could not be checked: the checker stopped');
    });
    return started;
  }

  return {
    check(file, text) {
      worker ??= start();
      const current = worker;
      const id = nextId++;
      return new Promise<CheckResult>((resolve) => {
        const timer = setTimeout(() => {
          settle(id, atStart(`checking the file took longer than ${timeoutMs} ms`));
          // The worker is stuck on this file: stop it.
          if (worker === current) worker = null;
          void current.terminate();
        }, timeoutMs);
        timer.unref();
        pending.set(id, { resolve, timer });
        current.postMessage({ id, file, text } satisfies CheckRequest);
      });
    },
    async close() {
      const current = worker;
      worker = null;
      await current?.terminate();
    },
  };
}
