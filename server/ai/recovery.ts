import { failureError, type Response, type ResponseStatus } from './response-object.ts';
import type { ResponseRow, ResponseStore } from './response-store.ts';
import { outputFromFrames, type Run } from './run.ts';

interface RecoveryDeps {
  store: ResponseStore;
  runs: Map<string, Run>;
  newRun(row: ResponseRow): Run;
  finish(run: Run, status: ResponseStatus, patch?: Partial<Response>): Promise<void>;
  setRow(run: Run, response: Response, patch?: Partial<ResponseRow>): Promise<void>;
  detach(run: Run): void;
  /** Gives up the claim on a response that reached a terminal state here. */
  release(id: string): Promise<void>;
  now(): number;
}

/**
 * A run rebuilt from what the stream stored so far (the output items), or the terminal
 * response when the stream already ended although the row was not written.
 */
function fromStream(row: ResponseRow, deps: RecoveryDeps): { run: Run; terminal: Response | null } {
  const run = deps.newRun(row);
  const { items, terminal } = outputFromFrames(deps.store.eventsAfter(row.id, -1));
  run.items = items;
  return { run, terminal };
}

/** Runs a terminal transition with the run known (a cancel that comes meanwhile finds it), then releases it. */
async function finishHere(run: Run, deps: RecoveryDeps, status: ResponseStatus, patch?: Partial<Response>): Promise<void> {
  deps.runs.set(run.row.id, run);
  try {
    await deps.finish(run, status, patch);
  } finally {
    deps.runs.delete(run.row.id);
  }
  await deps.release(run.row.id);
}

/**
 * What a stopped or dead instance left unfinished (rows this instance now holds the claims of) never
 * stays queued or in_progress: a response whose stream already ended takes the state of its terminal
 * event; one that had streamed output fails with `interrupted` (its partial text kept); one that had
 * streamed nothing is queued again and runs here.
 */
export async function recoverUnfinished(rows: readonly ResponseRow[], deps: RecoveryDeps): Promise<void> {
  for (const row of rows) {
    const { run, terminal } = fromStream(row, deps);
    if (terminal) {
      // The stream's terminal event was stored but the row was not: the stream is the truth.
      await deps.setRow(run, terminal, { finished_ms: deps.now() });
      await deps.release(row.id);
      continue;
    }
    if (run.items.length > 0) {
      const error = failureError(
        'interrupted',
        'The relay stopped while this response was streaming; its partial output is kept.',
      );
      await finishHere(run, deps, 'failed', { error });
      continue;
    }
    await deps.setRow(run, { ...row.response, status: 'queued' }, { started_ms: null });
    deps.detach(run);
  }
}

/** Cancels a response that no instance runs any more (its claim is now this instance's). */
export async function cancelStored(row: ResponseRow, deps: RecoveryDeps): Promise<Response> {
  const { run, terminal } = fromStream(row, deps);
  if (terminal) {
    await deps.setRow(run, terminal, { finished_ms: deps.now() });
    await deps.release(row.id);
    return terminal;
  }
  run.cancelRequested = true;
  await finishHere(run, deps, 'cancelled');
  return run.row.response;
}
