import type OpenAI from 'openai';
import { RelayError } from '../errors.ts';
import type { Upstream, UpstreamRouter } from './upstreams.ts';

export type Priority = 'high' | 'normal' | 'low';
export const PRIORITIES: readonly Priority[] = ['high', 'normal', 'low'];

export interface AiJob<T> {
  model: string;
  priority: Priority;
  signal?: AbortSignal;
  execute(client: OpenAI, upstream: { name: string }, signal: AbortSignal): Promise<T>;
}

/** The `ai.queue` service: runs jobs on the model's upstream, at most `concurrency` at a time each. */
export interface AiQueue {
  run<T>(job: AiJob<T>): Promise<T>;
  /** Waiting and running jobs per upstream. */
  stats(): Array<{ upstream: string; running: number; waiting: number }>;
}

interface Waiter {
  start: () => void;
  abandon: () => void;
}

/** One upstream's slots: waiting jobs are taken highest priority first, FIFO within a priority. */
class Lane {
  running = 0;
  readonly waiting: Record<Priority, Waiter[]> = { high: [], normal: [], low: [] };
  readonly upstream: Upstream;
  constructor(upstream: Upstream) {
    this.upstream = upstream;
  }
  get waitingCount(): number {
    return this.waiting.high.length + this.waiting.normal.length + this.waiting.low.length;
  }
  next(): Waiter | undefined {
    for (const p of PRIORITIES) {
      const w = this.waiting[p].shift();
      if (w) return w;
    }
    return undefined;
  }
}

export function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new DOMException('The job was aborted.', 'AbortError');
}

export function createAiQueue(router: UpstreamRouter, options: { concurrency: number; maxQueued: number }): AiQueue {
  const lanes = new Map<string, Lane>(router.all.map((u) => [u.name, new Lane(u)]));

  function laneFor(model: string): Lane {
    const upstream = router.route(model);
    const lane = upstream && lanes.get(upstream.name);
    if (!lane) throw new RelayError('model_not_found', `No upstream in ai.upstreams serves the model "${model}".`);
    return lane;
  }

  /** Resolves once the job holds a slot; rejects when its signal aborts first. */
  function acquire(lane: Lane, priority: Priority, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortError(signal));
    if (lane.running < options.concurrency) {
      lane.running++;
      return Promise.resolve();
    }
    if (lane.waitingCount >= options.maxQueued) {
      return Promise.reject(
        new RelayError(
          'ai_queue_full',
          `Upstream "${lane.upstream.name}" has ${options.maxQueued} jobs waiting; try again later.`,
        ),
      );
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        start: () => {
          signal?.removeEventListener('abort', onAbort);
          lane.running++;
          resolve();
        },
        abandon: () => reject(abortError(signal as AbortSignal)),
      };
      const onAbort = () => {
        const list = lane.waiting[priority];
        const at = list.indexOf(waiter);
        if (at >= 0) list.splice(at, 1);
        waiter.abandon();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      lane.waiting[priority].push(waiter);
    });
  }

  function releaseSlot(lane: Lane): void {
    lane.running--;
    lane.next()?.start();
  }

  return {
    async run(job) {
      const lane = laneFor(job.model);
      await acquire(lane, job.priority, job.signal);
      const controller = new AbortController();
      const onAbort = () => controller.abort(job.signal?.reason);
      job.signal?.addEventListener('abort', onAbort, { once: true });
      try {
        if (job.signal?.aborted) throw abortError(job.signal);
        return await job.execute(lane.upstream.client, { name: lane.upstream.name }, controller.signal);
      } finally {
        job.signal?.removeEventListener('abort', onAbort);
        releaseSlot(lane);
      }
    },
    stats: () => [...lanes.values()].map((l) => ({ upstream: l.upstream.name, running: l.running, waiting: l.waitingCount })),
  };
}
