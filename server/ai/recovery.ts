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
  now(): number;
}

/**
 * What a previous process left unfinished never stays queued or in_progress: a response whose stream
 * already ended takes the state of its terminal event; one that had streamed output fails with
 * `interrupted` (its partial text kept); one that had streamed nothing is queued again.
 */
export async function recoverUnfinished(deps: RecoveryDeps): Promise<void> {
  for (const row of deps.store.unfinished()) {
    const run = deps.newRun(row);
    const { itemId, text, terminal } = outputFromFrames(deps.store.eventsAfter(row.id, -1));
    if (terminal) {
      // The stream's terminal event was stored but the row was not: the stream is the truth.
      await deps.setRow(run, terminal, { finished_ms: deps.now() });
      continue;
    }
    if (itemId !== null) {
      run.itemId = itemId;
      run.text = text;
      deps.runs.set(row.id, run);
      const error = failureError(
        'interrupted',
        'The relay stopped while this response was streaming; its partial output is kept.',
      );
      await deps.finish(run, 'failed', { error }).finally(() => deps.runs.delete(row.id));
      continue;
    }
    await deps.setRow(run, { ...row.response, status: 'queued' }, { started_ms: null });
    deps.detach(run);
  }
}
