import type { RelayContext } from '../context.ts';
import { defineErrorCodes, HttpError } from '../errors.ts';
import type { BatchStore } from './batch-store.ts';
import type { BatchRunner } from './runner.ts';
import { type BatchRecord, TERMINAL } from './types.ts';

defineErrorCodes({ ai_instance_unavailable: 503 });

/** How long a cancel waits for the instance running the batch to confirm. */
export const REMOTE_CANCEL_WAIT_MS = 10_000;
const RESEND_MS = 1000;
const CANCEL_TOPIC = 'batches.cancel';
const RELEASED_TOPIC = 'batches.released';
const claimKey = (id: string) => `batch:${id}`;

/**
 * Batches across relay instances that share a store: the instance that creates a batch claims it
 * (`batch:<id>`) and runs its lines; batches a dead or stopped instance held are taken over (on
 * `onInstanceLost`, on a message from an instance that stopped, and on a sweep every lease) and resume
 * with the lines that have no stored result. A cancel for a batch running elsewhere goes to its holder.
 */
export function createBatchClaims(ctx: RelayContext, store: BatchStore, runner: BatchRunner) {
  let chain: Promise<unknown> = Promise.resolve();
  let stopped = false;
  let sweepTimer: { clear(): void } | undefined;
  const stops: Array<() => void> = [];
  const logError = (msg: string) => (err: unknown) => ctx.logger.error({ err }, msg);

  function serial<T>(work: () => Promise<T>): Promise<T> {
    const result = chain.then(work);
    chain = result.catch(() => {});
    return result;
  }

  /** Claims, refreshes and re-checks; resolves with the ids now held here that are still unfinished. */
  async function claimUnfinished(ids: readonly string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const granted = (await ctx.cluster.claim(ids.map(claimKey))).map((key) => key.slice('batch:'.length));
    const held: string[] = [];
    for (const id of granted) {
      if (runner.has(id)) continue;
      await store.refresh(id);
      const batch = store.get(id);
      if (batch && !TERMINAL.has(batch.status)) held.push(id);
      else await ctx.cluster.release([claimKey(id)]);
    }
    return held;
  }

  function takeOver(): Promise<void> {
    return serial(async () => {
      if (stopped) return;
      const ids = store
        .unfinished()
        .map((b) => b.id)
        .filter((id) => !runner.has(id));
      const held = await claimUnfinished(ids);
      if (held.length > 0) ctx.logger.info({ batches: held }, 'resuming unfinished batches');
      for (const id of held) runner.start(id);
    });
  }
  const takeOverLogged = () => void takeOver().catch(logError('taking over batches failed'));

  function scheduleSweep(): void {
    sweepTimer = ctx.clock.setTimeout(() => {
      takeOver()
        .catch(logError('taking over batches failed'))
        .finally(() => {
          if (!stopped) scheduleSweep();
        });
    }, ctx.cluster.leaseMs);
  }

  /** Resolves once the batch shows `cancelling` or a terminal state here; rejects after the bound. */
  function whenCancelled(id: string): Promise<BatchRecord> {
    const send = () => void ctx.cluster.send(CANCEL_TOPIC, { id }).catch(logError('sending a batch cancel failed'));
    return new Promise((resolve, reject) => {
      const timers: Array<{ clear(): void }> = [];
      const done = (settle: () => void) => {
        unlisten();
        for (const t of timers) t.clear();
        settle();
      };
      const check = () => {
        const batch = store.get(id);
        if (batch && (batch.status === 'cancelling' || TERMINAL.has(batch.status))) done(() => resolve(batch));
      };
      const unlisten = store.onChange((ids) => {
        if (ids.includes(id)) check();
      });
      const resend = () => {
        send();
        timers.push(ctx.clock.setTimeout(resend, RESEND_MS));
      };
      timers.push(ctx.clock.setTimeout(() => done(() => reject(new Error('timeout'))), REMOTE_CANCEL_WAIT_MS));
      resend();
      check();
    });
  }

  return {
    /** Claims a new batch before its row is written. */
    async claimNew(id: string): Promise<void> {
      const [granted] = await ctx.cluster.claim([claimKey(id)]);
      if (!granted) throw new HttpError('store_unavailable', 'The batch could not be claimed; try again.', 503);
    },
    /** Moves a batch to cancelling wherever it runs; resolves with the batch as its holder wrote it. */
    async cancel(id: string): Promise<BatchRecord> {
      if (runner.has(id)) return runner.cancel(id);
      const [held] = await serial(() => claimUnfinished([id]));
      if (held) return runner.cancel(id);
      try {
        return await whenCancelled(id);
      } catch {
        throw new HttpError(
          'ai_instance_unavailable',
          `The relay instance running batch "${id}" did not confirm the cancel within ${REMOTE_CANCEL_WAIT_MS / 1000} s; try again.`,
        );
      }
    },
    /** A batch stopped running here: a finished one's claim is given up. */
    stopped(id: string, finished: boolean): void {
      if (finished) ctx.cluster.release([claimKey(id)]).catch(logError('releasing a batch failed'));
    },
    /** Start-up: resume what was left unfinished, then (shared store) keep watching for work to take over. */
    async start(): Promise<void> {
      await takeOver();
      if (!ctx.cluster.shared) return;
      stops.push(
        ctx.cluster.on(CANCEL_TOPIC, (message) => {
          const id = (message as { id?: unknown }).id;
          const batch = typeof id === 'string' && runner.has(id) ? store.get(id) : undefined;
          // Repeated requests (they are re-sent until the row shows it) change nothing once cancelling.
          if (batch && batch.status !== 'cancelling' && !TERMINAL.has(batch.status)) {
            runner.cancel(batch.id).catch(logError('cancelling a batch failed'));
          }
        }),
        ctx.cluster.on(RELEASED_TOPIC, takeOverLogged),
        ctx.cluster.onInstanceLost(takeOverLogged),
      );
      scheduleSweep();
    },
    /** Stops taking over, stops the batches running here and hands the unfinished ones on at once. */
    async stop(): Promise<void> {
      stopped = true;
      sweepTimer?.clear();
      for (const stop of stops.splice(0)) stop();
      await chain;
      const interrupted = await runner.stop();
      if (!ctx.cluster.shared || interrupted.length === 0) return;
      await ctx.cluster.release(interrupted.map(claimKey));
      await ctx.cluster.send(RELEASED_TOPIC, {}).catch(logError('announcing released batches failed'));
    },
  };
}

export type BatchClaims = ReturnType<typeof createBatchClaims>;
