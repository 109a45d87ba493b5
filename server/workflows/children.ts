import { createHash } from 'node:crypto';
import type { WorkflowCall } from '../../plugins/sdk.ts';
import type { Workflow } from './definition.ts';
import type { ChildRuns, WorkflowLimits } from './engine-deps.ts';
import type { RunEngine } from './engine.ts';
import { FINISHED, type RunRecord, type RunStore } from './run-store.ts';
import type { AttemptTarget, RunHandle } from './active-run.ts';
import { Aborted, StopSignal } from './waits.ts';

// `workflow.call`: a step starts a named workflow as a child run and waits for it, holding no
// concurrency slot. The child's id follows from the parent run and step, so a step repeated after a
// crash waits for the same child instead of starting another.

export interface ChildDeps {
  runs: RunStore;
  engine: () => RunEngine;
  workflow(name: string): Workflow | undefined;
  /** Cancels a run wherever it executes (takeover.cancel). */
  cancel(id: string): Promise<unknown>;
  limits: WorkflowLimits;
}

/** The child run of a step: `run_` + 22 characters of a hash of the parent run id and the step key. */
export function childRunId(parentId: string, key: string): string {
  return `run_${createHash('sha256').update(parentId).update('\u0000').update(key).digest('base64url').slice(0, 22)}`;
}

export class WorkflowChildren implements ChildRuns {
  readonly #deps: ChildDeps;

  constructor(deps: ChildDeps) {
    this.#deps = deps;
  }

  async call(parent: RunHandle, target: AttemptTarget, call: WorkflowCall, signal: AbortSignal): Promise<unknown> {
    const { limits } = this.#deps;
    const workflow = this.#deps.workflow(call.workflow);
    if (!workflow) throw new Error(`workflow.call: no workflow named "${call.workflow}" is loaded`);
    const depth = parent.record.chain_depth + 1;
    if (depth > limits.maxChainDepth) {
      throw new Error(`workflow.call: run chain is ${depth} deep, over workflows.maxChainDepth (${limits.maxChainDepth})`);
    }
    const id = childRunId(parent.record.id, target.key);
    target.step.child_run = id;
    await this.#deps.engine().start(workflow, {
      id,
      input: call.input ?? null,
      parent: { run: parent.record.id, step: target.key },
      chainDepth: depth,
    });
    let child: RunRecord;
    try {
      child = await parent.whileWaiting(target.record, null, () => this.#finished(id, signal));
    } catch (error) {
      // The parent cancelled (or its step timed out): so is the child. A stopping relay leaves both to resume.
      if (!(signal.reason instanceof StopSignal)) await this.#deps.cancel(id).catch(() => {});
      throw error;
    }
    if (child.status === 'succeeded') return child.output ?? null;
    const why = child.error ? `${child.error.step ? `${child.error.step}: ` : ''}${child.error.message}` : child.status;
    throw new Error(`workflow "${call.workflow}" (run ${id}) ${child.status}: ${why}`);
  }

  /** Resolves with the child's record once it has finished (here or on another instance). */
  #finished(id: string, signal: AbortSignal): Promise<RunRecord> {
    const { runs } = this.#deps;
    if (signal.aborted) return Promise.reject(new Aborted(signal.reason));
    return new Promise((resolve, reject) => {
      const check = () => {
        const run = runs.get(id);
        if (!run || !FINISHED.has(run.status)) return;
        stop();
        resolve(run);
      };
      const onAbort = () => {
        stop();
        reject(new Aborted(signal.reason));
      };
      const unsubscribeLocal = this.#deps.engine().onFinished((record) => {
        if (record.id === id) check();
      });
      const unsubscribeShared = runs.onChange((ids) => {
        if (ids.includes(id)) check();
      });
      const stop = () => {
        unsubscribeLocal();
        unsubscribeShared();
        signal.removeEventListener('abort', onAbort);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      check();
    });
  }
}
