import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.ts';
import type { Cluster } from '../cluster/cluster.ts';
import type { Logger } from '../ops/logger.ts';
import type { DeliveryEngine } from './engine.ts';

/** How long a retry asked of the instance holding a delivery waits for its answer. */
const HOLDER_ANSWER_MS = 5000;

const RETRY = 'delivery.retry';
const RETRIED = 'delivery.retried';

export interface HolderRequestDeps {
  cluster: Cluster;
  engine: DeliveryEngine;
  clock: Clock;
  logger: Logger;
}

/**
 * Requests for the instance holding a delivery (only it may write the row): a retry asked on another
 * instance is sent to every instance, the holder attempts it and answers once the retry is recorded.
 */
export class HolderRequests {
  readonly #deps: HolderRequestDeps;
  readonly #answers = new Map<string, () => void>();

  constructor(deps: HolderRequestDeps) {
    this.#deps = deps;
  }

  /** Starts answering requests for the deliveries held here; returns the function that stops it. */
  listen(): () => void {
    const { cluster } = this.#deps;
    const stops = [
      cluster.on(RETRY, (message) => this.#onRetryAsked(message as { id: string; request: string })),
      cluster.on(RETRIED, (message) => this.#answers.get((message as { request: string }).request)?.()),
    ];
    return () => {
      for (const stop of stops) stop();
    };
  }

  /** Asks the holder to attempt a delivery now; resolves false when no instance answered in time. */
  async retry(id: string): Promise<boolean> {
    const request = randomUUID();
    let answer: (answered: boolean) => void = () => {};
    const answered = new Promise<boolean>((resolve) => {
      answer = resolve;
    });
    this.#answers.set(request, () => answer(true));
    const timer = this.#deps.clock.setTimeout(() => answer(false), HOLDER_ANSWER_MS);
    try {
      await this.#deps.cluster.send(RETRY, { id, request });
      return await answered;
    } finally {
      timer.clear();
      this.#answers.delete(request);
    }
  }

  #onRetryAsked({ id, request }: { id: string; request: string }): void {
    const { engine, cluster, logger } = this.#deps;
    if (!engine.owns(id)) return;
    engine
      .retryNow(id)
      .then(() => cluster.send(RETRIED, { request }))
      .catch((err: unknown) => logger.error({ err, delivery: id }, 'a retry asked by another instance failed'));
  }
}
