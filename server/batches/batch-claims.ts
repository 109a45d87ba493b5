import { claimedWork } from '../cluster/claimed-work.ts';
import type { RelayContext } from '../context.ts';
import { RelayError } from '../errors.ts';
import { waitForRow } from '../store/wait-for-row.ts';
import type { BatchStore } from './batch-store.ts';
import type { BatchRunner } from './runner.ts';
import { type BatchRecord, TERMINAL } from './types.ts';

/** How long a cancel waits for the instance running the batch to confirm. */
export const REMOTE_CANCEL_WAIT_MS = 10_000;
const RESEND_MS = 1000;
const CANCEL_TOPIC = 'batches.cancel';

/**
 * Batches across relay instances that share a store: the instance that creates a batch claims it
 * (`batch:<id>`) and runs its lines; a batch a dead or stopped instance held is taken over (see
 * claimedWork) and resumes with the lines that have no stored result. A cancel for a batch running
 * elsewhere goes to its holder.
 */
export function createBatchClaims(ctx: RelayContext, store: BatchStore, runner: BatchRunner) {
  const unfinished = (id: string) => {
    const batch = store.get(id);
    return batch !== undefined && !TERMINAL.has(batch.status);
  };
  const work = claimedWork(ctx, {
    prefix: 'batch',
    unfinished: () => store.unfinished().map((b) => b.id),
    runsHere: (id) => runner.has(id),
    refresh: async (id) => {
      await store.refresh(id);
      return unfinished(id);
    },
    resume: async (ids) => {
      for (const id of ids) runner.start(id);
    },
  });
  const logError = (msg: string) => (err: unknown) => ctx.logger.error({ err }, msg);

  /** Resolves once the batch shows `cancelling` or a terminal state here; rejects after the bound. */
  async function whenCancelled(id: string): Promise<BatchRecord> {
    const send = () => void ctx.cluster.send(CANCEL_TOPIC, { id }).catch(logError('sending a batch cancel failed'));
    send();
    const batch = await waitForRow({
      clock: ctx.clock,
      read: () => store.get(id),
      watch: (changed) =>
        store.onChange((ids) => {
          if (ids.includes(id)) changed();
        }),
      reached: (batch) => batch !== undefined && (batch.status === 'cancelling' || TERMINAL.has(batch.status)),
      timeoutMs: REMOTE_CANCEL_WAIT_MS,
      repeat: { everyMs: RESEND_MS, run: send },
    });
    return batch as BatchRecord;
  }

  return {
    claimNew: work.claimNew,
    /** Moves a batch to cancelling wherever it runs; resolves with the batch as its holder wrote it. */
    async cancel(id: string): Promise<BatchRecord> {
      if (runner.has(id)) return runner.cancel(id);
      // No live instance holds it (its holder died, or stopped): cancel it here.
      const [held] = await work.serial(() => work.claimUnfinished([id]));
      if (held) return runner.cancel(id);
      try {
        return await whenCancelled(id);
      } catch {
        throw new RelayError(
          'ai_instance_unavailable',
          `The relay instance running batch "${id}" did not confirm the cancel within ${REMOTE_CANCEL_WAIT_MS / 1000} s; try again.`,
        );
      }
    },
    /** A batch stopped running here: a finished one's claim is given up. */
    stopped(id: string, finished: boolean): void {
      if (finished) void work.release(id);
    },
    /** Start-up: resume what was left unfinished, then (shared store) keep watching for work to take over. */
    async start(): Promise<void> {
      await work.start();
      work.on(CANCEL_TOPIC, (message) => {
        const id = (message as { id?: unknown }).id;
        const batch = typeof id === 'string' && runner.has(id) ? store.get(id) : undefined;
        // Repeated requests (they are re-sent until the row shows it) change nothing once cancelling.
        if (batch && batch.status !== 'cancelling' && !TERMINAL.has(batch.status)) {
          runner.cancel(batch.id).catch(logError('cancelling a batch failed'));
        }
      });
    },
    /** Stops taking over, stops the batches running here and hands the unfinished ones on at once. */
    async stop(): Promise<void> {
      await work.halt();
      await work.handOn(await runner.stop());
    },
  };
}

export type BatchClaims = ReturnType<typeof createBatchClaims>;
