import OpenAI from 'openai';
import type { SubsystemFactory } from '../../server/context.ts';
import type { AiQueue } from '../../server/batches/types.ts';

export interface MemoryQueue extends AiQueue {
  /** Priorities of every job run, in order. */
  priorities: string[];
  /** The most jobs that ran at once. */
  maxRunning: number;
}

/**
 * A small stand-in with the `ai.queue` shape: one OpenAI client for one upstream and a concurrency
 * limit (FIFO, priorities recorded but not reordered). For tests of batches on their own.
 */
export function memoryQueue(baseURL: string, concurrency = 4): MemoryQueue {
  const client = new OpenAI({ apiKey: 'sk-fake', baseURL, maxRetries: 0 });
  const waiting: Array<() => void> = [];
  let running = 0;
  const queue: MemoryQueue = {
    priorities: [],
    maxRunning: 0,
    async run(job) {
      queue.priorities.push(job.priority);
      if (running >= concurrency) await new Promise<void>((resolve) => waiting.push(resolve));
      running++;
      queue.maxRunning = Math.max(queue.maxRunning, running);
      try {
        job.signal?.throwIfAborted();
        return await job.execute(client, { name: 'fake' }, job.signal ?? new AbortController().signal);
      } finally {
        running--;
        waiting.shift()?.();
      }
    },
  };
  return queue;
}

/** A subsystem that provides `queue` as the service `ai.queue`. */
export function provideQueue(queue: AiQueue): SubsystemFactory {
  return (ctx) => {
    ctx.services.provide('ai.queue', queue);
    return { name: 'memory-ai-queue' };
  };
}
