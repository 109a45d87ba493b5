import type { Clock } from '../clock.ts';
import type { FilesService } from '../../plugins/sdk.ts';
import type { Logger } from '../ops/logger.ts';
import type { BatchStore } from './batch-store.ts';
import type { BatchEvents, TerminalType } from './batch-events.ts';
import { executeLine } from './execute-line.ts';
import { type LineUsage, lineUsage } from './line-usage.ts';
import { type EndStatus, writeResultFiles } from './finalize.ts';
import { throttled } from './progress.ts';
import type { BatchSettings } from './settings.ts';
import { addUsage } from './usage.ts';
import { type AiQueue, type BatchError, type BatchRecord, type RequestLine, type ResponsesRunner, TERMINAL } from './types.ts';
import { validateInput } from './validate-input.ts';

export interface RunnerDeps {
  store: BatchStore;
  files: FilesService;
  queue: AiQueue;
  /** Runs `/v1/responses` lines through the relay's own Responses translation. */
  responses?: ResponsesRunner;
  events: BatchEvents;
  clock: Clock;
  newId: (prefix: string) => string;
  settings: BatchSettings;
  /** limits.jsonDepth: a line nested deeper is refused, as a request body would be. */
  jsonDepth: number;
  logger: Logger;
  /** Called when a batch stops running here: `finished` when it reached a terminal state. */
  onStopped(id: string, finished: boolean): void;
  /** Records the tokens of a completed line for the batch's key (AI usage and quotas). */
  recordUsage?(batch: BatchRecord, model: string, usage: LineUsage): Promise<void>;
}

type StopReason = 'cancel' | 'expire' | 'shutdown';

const ALL_FAILED: BatchError = {
  code: 'all_requests_failed',
  message: 'Every request of the batch failed; the error file has each answer.',
  param: null,
  line: null,
};

/** A batch that ran to its end with requests, none of which succeeded, ends failed rather than completed. */
const allFailed = (batch: BatchRecord, end: EndStatus) =>
  end === 'completed' && batch.request_counts.total > 0 && batch.request_counts.completed === 0;

/**
 * Drives batches validating → in_progress → finalizing → completed (or failed, expired, cancelled).
 * Every line result is stored before it counts, so a batch interrupted by a stop or crash resumes with
 * the lines that have no result yet: each line runs at least once (a line in flight at a crash runs
 * again) and appears exactly once in the output or error file.
 */
export function createBatchRunner(deps: RunnerDeps) {
  const { store, files, events, clock, settings, logger } = deps;
  const running = new Map<string, { controller: AbortController; done: Promise<void> }>();
  const seconds = () => Math.floor(clock.now() / 1000);
  const latest = (id: string) => store.get(id) as BatchRecord;
  const retry = { attempts: settings.lineAttempts, backoffMs: settings.retryBackoffMs, clock, responses: deps.responses };

  async function update(id: string, change: Partial<BatchRecord>): Promise<BatchRecord> {
    const next = { ...latest(id), ...change };
    await store.save(next);
    return next;
  }

  async function loadLines(batch: BatchRecord): Promise<{ lines: RequestLine[]; errors: BatchError[] }> {
    if (!(await files.find(batch.input_file_id))) {
      const missing = {
        code: 'input_file_missing',
        message: `Input file ${batch.input_file_id} no longer exists.`,
        param: 'input_file_id',
        line: null,
      };
      return { lines: [], errors: [missing] };
    }
    const text = (await files.readAll(batch.input_file_id)).toString('utf8');
    return validateInput(text, batch.endpoint, settings.maxLines, deps.jsonDepth);
  }

  async function finish(id: string, lines: RequestLine[], end: EndStatus): Promise<void> {
    let batch = latest(id);
    if (!batch.files_written) batch = await writeResultFiles(store, files, batch, lines, end, deps.newId);
    // Announce first, then record: a crash in between re-announces, which the event store de-duplicates,
    // and a client that sees the final status finds its events.
    const final: BatchRecord = allFailed(batch, end)
      ? { ...batch, status: 'failed', failed_at: seconds(), errors: { object: 'list', data: [ALL_FAILED] } }
      : { ...batch, status: end, [`${end}_at`]: seconds() };
    await events.terminal(final, `batch.${final.status}` as TerminalType);
    await events.progress(final);
    await store.save(final);
    await store.dropResults(id);
  }

  async function fail(id: string, errors: BatchError[]): Promise<void> {
    const final: BatchRecord = {
      ...latest(id),
      status: 'failed',
      failed_at: seconds(),
      errors: { object: 'list', data: errors },
    };
    await events.terminal(final, 'batch.failed');
    await events.progress(final);
    await store.save(final);
  }

  async function runLines(id: string, lines: RequestLine[], signal: AbortSignal): Promise<void> {
    const done = new Set(store.results(id).map((r) => r.line));
    const todo = lines.filter((l) => !done.has(l.line));
    let emitting: Promise<unknown> = Promise.resolve();
    const progress = throttled(clock, settings.progressIntervalMs, () => {
      emitting = events
        .progress(latest(id))
        .catch((err: unknown) => logger.error({ err, batch: id }, 'could not emit batch.progress'));
    });
    progress.flush();
    let next = 0;
    const worker = async () => {
      while (next < todo.length && !signal.aborted) {
        const request = todo[next++];
        const batch = latest(id);
        let result: Awaited<ReturnType<typeof executeLine>>;
        try {
          result = await executeLine(deps.queue, batch.endpoint, request, deps.newId('batch_req'), signal, retry);
        } catch (error) {
          if (signal.aborted) return;
          throw error;
        }
        await store.saveResult({ id: `${id}:${request.line}`, batch_id: id, line: request.line, ...result });
        const used = result.outcome === 'completed' ? lineUsage(result.output) : null;
        if (used) {
          await deps
            .recordUsage?.(batch, request.model, used)
            .catch((err: unknown) => logger.error({ err, batch: id }, "could not record a line's usage"));
        }
        const counts = { ...latest(id).request_counts };
        counts[result.outcome]++;
        const usage = result.outcome === 'completed' ? addUsage(latest(id).usage ?? null, result.output) : latest(id).usage;
        await update(id, { request_counts: counts, usage: usage ?? null });
        progress.changed();
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(settings.maxInFlight, todo.length) }, worker));
    } finally {
      progress.dispose();
      // The last throttled event is stored before anything later (finalizing, the final status) is.
      await emitting;
    }
  }

  /**
   * Counts from the stored line results: an instance that died between storing a result and counting
   * it leaves the batch's counts one behind.
   */
  async function recount(id: string, total: number): Promise<void> {
    const results = store.results(id);
    const completed = results.filter((r) => r.outcome === 'completed').length;
    const counts = { total, completed, failed: results.length - completed };
    const now = latest(id).request_counts;
    if (now.completed !== counts.completed || now.failed !== counts.failed) await update(id, { request_counts: counts });
  }

  async function drive(id: string, controller: AbortController): Promise<void> {
    const { signal } = controller;
    let batch = latest(id);
    const { lines, errors } = await loadLines(batch);
    if (batch.status !== 'validating') {
      // Resuming (after a restart, or another instance's work): the line results as stored now.
      await store.refresh(
        id,
        lines.map((l) => l.line),
      );
      batch = latest(id);
      if (batch.status === 'in_progress') await recount(id, lines.length);
    }
    if (batch.status === 'validating') {
      if (errors.length > 0) return fail(id, errors);
      const counts = { total: lines.length, completed: 0, failed: 0 };
      if (signal.aborted && signal.reason !== 'shutdown') {
        await update(id, { request_counts: counts });
        return finish(id, lines, signal.reason === 'cancel' ? 'cancelled' : 'expired');
      }
      batch = await update(id, {
        status: 'in_progress',
        in_progress_at: seconds(),
        request_counts: counts,
        model: lines[0]?.model ?? null,
      });
    }
    if (batch.status === 'in_progress') {
      await runLines(id, lines, signal);
      if (!signal.aborted) batch = await update(id, { status: 'finalizing', finalizing_at: seconds() });
    }
    const reason = signal.aborted ? (signal.reason as StopReason) : null;
    if (reason === 'shutdown') return;
    if (latest(id).status === 'cancelling' || reason === 'cancel') return finish(id, lines, 'cancelled');
    if (reason === 'expire') return finish(id, lines, 'expired');
    if (latest(id).status === 'finalizing') return finish(id, lines, 'completed');
  }

  function start(id: string): void {
    const batch = latest(id);
    if (running.has(id) || TERMINAL.has(batch.status)) return;
    const controller = new AbortController();
    if (batch.status === 'cancelling') controller.abort('cancel');
    const expiry = clock.setTimeout(() => controller.abort('expire'), Math.max(0, batch.expires_at * 1000 - clock.now()));
    const done = drive(id, controller)
      .catch((err: unknown) => logger.error({ err, batch: id }, 'batch stopped on an error; it resumes on the next start'))
      .finally(() => {
        expiry.clear();
        running.delete(id);
        deps.onStopped(id, TERMINAL.has(latest(id).status));
      });
    running.set(id, { controller, done });
  }

  return {
    start,
    /** Moves a batch to cancelling; the run writes partial results and ends cancelled. */
    async cancel(id: string): Promise<BatchRecord> {
      const batch = await update(id, { status: 'cancelling', cancelling_at: seconds() });
      const run = running.get(id);
      if (run) run.controller.abort('cancel');
      else start(id);
      return batch;
    },
    /** Is the batch running here? */
    has: (id: string) => running.has(id),
    /** Stops every batch; resolves with those that stopped unfinished (to hand on to other instances). */
    async stop(): Promise<string[]> {
      for (const run of running.values()) run.controller.abort('shutdown');
      const ids = [...running.keys()];
      await Promise.allSettled([...running.values()].map((r) => r.done));
      return ids.filter((id) => !TERMINAL.has(latest(id).status));
    },
  };
}

export type BatchRunner = ReturnType<typeof createBatchRunner>;
