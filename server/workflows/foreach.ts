import type { CompiledStep } from './definition.ts';
import type { EngineDeps } from './engine-deps.ts';
import { failureCode } from './expression-limits.ts';
import { type AttemptResult, bounded, runAttempts } from './attempts.ts';
import { type ActiveRun, iso } from './active-run.ts';
import { evaluateParams } from './params.ts';
import type { ItemRecord, StepRecord } from './run-store.ts';
import { Aborted } from './waits.ts';

// `foreach`: the step once per item of an array, `concurrency` items at a time, each item with its own
// attempts. The run is saved after every item, so after a crash only unfinished items run again.

/** Items one foreach step may have. */
export const MAX_FOREACH_ITEMS = 10_000;

const FINISHED_ITEM = new Set(['succeeded', 'failed']);

export async function runForeach(
  deps: EngineDeps,
  run: ActiveRun,
  step: CompiledStep,
  record: StepRecord,
  context: Record<string, unknown>,
  signal: AbortSignal,
): Promise<AttemptResult> {
  let list: unknown;
  try {
    list = await step.foreach?.(context);
  } catch (e) {
    const code = failureCode(e);
    return { ok: false, message: `foreach: ${(e as Error).message}`, ...(code ? { code } : {}) };
  }
  if (list === null) list = [];
  if (!Array.isArray(list)) return { ok: false, message: `foreach: expected an array, got ${typeof list}` };
  if (list.length > MAX_FOREACH_ITEMS)
    return { ok: false, message: `foreach: ${list.length} items, over the limit of ${MAX_FOREACH_ITEMS}` };
  const items = list as unknown[];
  // The saved items are kept when the list is the same length (a resumed step sees the same outputs).
  if (record.items?.length !== items.length) record.items = items.map((_, index) => newItem(index));
  const records = record.items;
  const local = new AbortController();
  const onAbort = () => local.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  const width = Math.min(step.concurrency, items.length);
  const save = coalesced(() => run.save());
  run.branches += Math.max(0, width - 1);
  let failure = null as string | null;
  let failedCode: string | undefined;
  let next = 0;
  const worker = async () => {
    while (next < items.length && failure === null && !local.signal.aborted) {
      const index = next++;
      const item = records[index];
      if (FINISHED_ITEM.has(item.status)) continue;
      const result = await runItem(deps, run, step, record, item, { ...context, item: items[index], index }, local.signal, save);
      if (result === 'failed' && !step.continueOnError && failure === null) {
        failure = `item ${index} failed: ${item.error}`;
        failedCode = item.code;
        local.abort(new Error(failure));
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: width }, worker));
  } finally {
    run.branches -= Math.max(0, width - 1);
    signal.removeEventListener('abort', onAbort);
  }
  if (signal.aborted) throw new Aborted(signal.reason);
  record.attempts = records.reduce((sum, item) => sum + item.attempts, 0);
  if (failure !== null) return { ok: false, message: failure, ...(failedCode ? { code: failedCode } : {}) };
  return { ok: true, value: records.map((item) => item.output), ended: null };
}

function newItem(index: number): ItemRecord {
  return { index, status: 'pending', output: null, error: null, attempts: 0, started_at: null, ended_at: null };
}

/** One item: evaluated with `item` and `index` in scope, attempted with the step's retries, then saved. */
async function runItem(
  deps: EngineDeps,
  run: ActiveRun,
  step: CompiledStep,
  record: StepRecord,
  item: ItemRecord,
  context: Record<string, unknown>,
  signal: AbortSignal,
  save: () => Promise<void>,
): Promise<'succeeded' | 'failed' | 'stopped'> {
  item.status = 'running';
  item.started_at ??= iso(deps.clock.now());
  let result: AttemptResult;
  try {
    const params = await evaluateParams(step, context);
    result = await runAttempts(deps, run, step, { key: `${step.id}[${item.index}]`, step: record, record: item }, params, signal);
  } catch (e) {
    if (e instanceof Aborted) {
      // Stopped because another item failed (saved as failed), or the run stopped (left to resume).
      if (run.controller.signal.aborted) return 'stopped';
      item.status = 'failed';
      item.error = `cancelled: ${(signal.reason as Error).message}`;
      item.ended_at = iso(deps.clock.now());
      return 'failed';
    }
    const code = failureCode(e);
    result = { ok: false, message: `with: ${(e as Error).message}`, ...(code ? { code } : {}) };
  }
  item.ended_at = iso(deps.clock.now());
  item.wake_at = null;
  if (result.ok) {
    item.status = 'succeeded';
    item.output = deps.redact(bounded(result.value, deps.limits.outputBytes));
    item.error = null;
    delete item.code;
  } else {
    item.status = 'failed';
    item.error = deps.redact(result.message);
    if (result.code) item.code = result.code;
  }
  await save();
  return item.status;
}

/**
 * Saves that items ask for while a save is being written share the next one: each item is still saved
 * before its worker moves on, with one write per wave of items instead of one per item.
 */
function coalesced(save: () => Promise<void>): () => Promise<void> {
  let current: Promise<void> | null = null;
  let next: Promise<void> | null = null;
  const request = (): Promise<void> => {
    if (!current) {
      current = save().finally(() => {
        current = null;
      });
      return current;
    }
    next ??= current
      .catch(() => {})
      .then(() => {
        next = null;
        return request();
      });
    return next;
  };
  return request;
}
