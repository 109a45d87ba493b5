import { Aborted } from './waits.ts';

/**
 * Per-workflow concurrency: a slot is held only while a run executes a step, never while it waits
 * (a waiting run releases its slot and queues for one again when it wakes).
 */
export class Slots {
  readonly #running = new Map<string, number>();
  readonly #queues = new Map<string, Array<() => void>>();

  running(workflow: string): number {
    return this.#running.get(workflow) ?? 0;
  }

  queued(workflow: string): number {
    return this.#queues.get(workflow)?.length ?? 0;
  }

  /** Resolves once the run may execute; `limit` null means no limit. */
  async acquire(workflow: string, limit: number | null, signal: AbortSignal): Promise<void> {
    if (signal.aborted) throw new Aborted(signal.reason);
    if (limit === null || this.running(workflow) < limit) {
      this.#running.set(workflow, this.running(workflow) + 1);
      return;
    }
    const queue = this.#queues.get(workflow) ?? [];
    this.#queues.set(workflow, queue);
    await new Promise<void>((resolve, reject) => {
      const grant = () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        queue.splice(queue.indexOf(grant), 1);
        reject(new Aborted(signal.reason));
      };
      queue.push(grant);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Hands the slot to the next queued run, or frees it. */
  release(workflow: string): void {
    const next = this.#queues.get(workflow)?.shift();
    if (next) next();
    else this.#running.set(workflow, Math.max(0, this.running(workflow) - 1));
  }
}
