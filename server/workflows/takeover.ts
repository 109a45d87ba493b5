import type { Clock } from '../clock.ts';
import type { Cluster } from '../cluster/cluster.ts';
import type { Logger } from '../ops/logger.ts';
import { type RunEngine, runKey } from './engine.ts';
import { FINISHED, type RunRecord, type RunStore } from './run-store.ts';

// Runs across instances that share one store: unfinished runs nobody holds (their instance died or
// stopped) are claimed and resumed here with the restart logic, and a cancel asked of this instance
// for a run another instance executes is passed on to that instance.

/** The message asking whichever instance executes a run to cancel it. */
export const CANCEL_TOPIC = 'workflows.cancel';
/** Claims asked for in one statement. */
const CLAIM_CHUNK = 500;
/** How often a pending cancel is sent again while the run has not finished. */
const CANCEL_RESEND_MS = 500;

export type CancelResult =
  | { kind: 'cancelled'; run: RunRecord }
  | { kind: 'finished' }
  /** The instance executing the run did not finish it within the bounded wait. */
  | { kind: 'unreachable'; waitedMs: number };

export interface TakeoverDeps {
  cluster: Cluster;
  runs: RunStore;
  engine: RunEngine;
  clock: Clock;
  logger: Logger;
  /** Resumes an unfinished run this instance now holds (the same logic as after a restart). */
  resume(run: RunRecord): Promise<void>;
}

export class RunTakeover {
  readonly #deps: TakeoverDeps;
  readonly #stops: Array<() => void> = [];
  /** Sweeps and direct cancels run one at a time, so a cancel never races a resume of the same run. */
  #exclusive: Promise<unknown> = Promise.resolve();
  #sweepQueued: Promise<number> | null = null;
  #timer: { clear(): void } | null = null;
  #stopped = false;

  constructor(deps: TakeoverDeps) {
    this.#deps = deps;
  }

  /** How long a cancel waits for another instance to cancel the run: a lease plus some slack. */
  get cancelWaitMs(): number {
    return this.#deps.cluster.leaseMs + 5000;
  }

  /** Listens for lost instances and cancel requests, and sweeps every lease (several instances only). */
  start(): void {
    const { cluster, engine, logger } = this.#deps;
    if (!cluster.shared) return;
    this.#stops.push(cluster.onInstanceLost(() => void this.sweep()));
    this.#stops.push(
      cluster.on(CANCEL_TOPIC, (message) => {
        const id = (message as { id?: unknown }).id;
        if (typeof id !== 'string' || !engine.isActive(id)) return;
        engine.cancel(id).catch((err: unknown) => logger.error({ err, run: id }, 'cancelling a run failed'));
      }),
    );
    this.#schedule();
  }

  /** Stops sweeping and listening; resolves once a sweep under way has resumed what it claimed. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#timer?.clear();
    for (const stop of this.#stops.splice(0)) stop();
    await this.#exclusive;
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = this.#deps.clock.setTimeout(
      () => {
        this.#timer = null;
        void this.sweep().finally(() => this.#schedule());
      },
      Math.max(1000, this.#deps.cluster.leaseMs),
    );
  }

  /**
   * Claims the unfinished runs not executing here; for each one granted (nobody held it, or its holder
   * stopped heartbeating) re-reads the row and resumes it if it is still unfinished. Resolves with the
   * number resumed. Calls made while a sweep waits to start share it.
   */
  sweep(): Promise<number> {
    this.#sweepQueued ??= this.#serially(() => {
      this.#sweepQueued = null;
      return this.#takeOver();
    }).catch((err: unknown) => {
      this.#deps.logger.error({ err }, 'taking over unfinished runs failed');
      return 0;
    });
    return this.#sweepQueued;
  }

  #serially<T>(work: () => Promise<T>): Promise<T> {
    const result = this.#exclusive.then(work);
    this.#exclusive = result.catch(() => {});
    return result;
  }

  async #takeOver(): Promise<number> {
    const { cluster, runs, engine } = this.#deps;
    const candidates: string[] = [];
    for (const run of runs.unfinished()) if (!engine.isActive(run.id)) candidates.push(runKey(run.id));
    let resumed = 0;
    for (let i = 0; i < candidates.length && !this.#stopped; i += CLAIM_CHUNK) {
      const ids = (await cluster.claim(candidates.slice(i, i + CLAIM_CHUNK))).map((key) => key.slice('run:'.length));
      if (ids.length === 0) continue;
      await runs.refresh(ids);
      for (const id of ids) {
        const run = runs.get(id);
        if (run && !FINISHED.has(run.status) && !engine.isActive(id) && !this.#stopped) {
          await this.#deps.resume(run);
          if (engine.isActive(id)) resumed++;
        }
        // Finished meanwhile, or failed by resume (workflow gone): nothing to hold.
        if (!engine.isActive(id)) await cluster.release([runKey(id)]);
      }
    }
    if (resumed > 0) this.#deps.logger.info({ resumed }, 'resumed unfinished runs');
    return resumed;
  }

  /**
   * Cancels a run wherever it executes: here directly; on another instance by message, waiting (bounded)
   * for its row to show it finished; and if nobody holds it any more, here under its claim.
   */
  async cancel(id: string): Promise<CancelResult> {
    const { cluster, runs, engine } = this.#deps;
    if (!cluster.shared || engine.isActive(id)) return local(await engine.cancel(id));
    await runs.refresh([id]);
    const started = Date.now();
    let asked = false;
    for (;;) {
      const run = runs.get(id);
      // Finished after the holder was asked: the answer is the run as it ended (as for a local cancel).
      if (!run || FINISHED.has(run.status)) return run && asked ? { kind: 'cancelled', run } : { kind: 'finished' };
      if (engine.isActive(id)) return local(await engine.cancel(id));
      const direct = await this.#serially(() => this.#cancelUnheld(id));
      if (direct) return direct;
      await cluster.send(CANCEL_TOPIC, { id });
      asked = true;
      const waited = Date.now() - started;
      if (waited >= this.cancelWaitMs) return { kind: 'unreachable', waitedMs: waited };
      await this.#finishedOrTimeout(id, Math.min(CANCEL_RESEND_MS, this.cancelWaitMs - waited));
    }
  }

  /** Cancels a run here if its claim is granted (no live instance holds it); null when one does. */
  async #cancelUnheld(id: string): Promise<CancelResult | null> {
    const { cluster, runs, engine } = this.#deps;
    if (engine.isActive(id)) return local(await engine.cancel(id));
    if ((await cluster.claim([runKey(id)])).length === 0) return null;
    try {
      await runs.refresh([id]);
      return local(await engine.cancel(id));
    } finally {
      if (!engine.isActive(id)) await cluster.release([runKey(id)]);
    }
  }

  /** Resolves once the run's row shows it finished (another instance wrote it), or after `ms`. */
  #finishedOrTimeout(id: string, ms: number): Promise<void> {
    const { runs } = this.#deps;
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        stop();
        resolve();
      };
      const timer = setTimeout(done, ms);
      const stop = runs.onChange((ids) => {
        const run = runs.get(id);
        if (ids.includes(id) && (!run || FINISHED.has(run.status))) done();
      });
    });
  }
}

function local(run: RunRecord | null): CancelResult {
  return run ? { kind: 'cancelled', run } : { kind: 'finished' };
}
