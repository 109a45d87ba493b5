import type { Clock } from '../clock.ts';
import type { Logger } from '../ops/logger.ts';
import type { DeliverySettings } from './config.ts';
import type { DeliveryStore } from './delivery-store.ts';

const PRUNE_EVERY_MS = 3_600_000;

export interface HousekeepingDeps {
  settings: Pick<DeliverySettings, 'sweepIntervalMs' | 'retentionMs' | 'maxFinishedDeliveries'>;
  clock: Clock;
  logger: Logger;
  store: Pick<DeliveryStore, 'prune'>;
  /** Queues pending deliveries that nothing is handling; resolves with how many it found. */
  sweep(): Promise<number>;
  /** Whether this instance leads the fan-out: pruning is its chore, so instances do not delete the same rows at once. */
  leading(): boolean;
}

/**
 * Delivery's timers: every `sweepIntervalMs` a sweep for pending deliveries nothing handles, and at
 * most hourly (on the fan-out leader) pruning of finished deliveries past retention. One timer, re-armed
 * after each round, so rounds never overlap; stop() waits for a round in progress.
 */
export class DeliveryHousekeeping {
  readonly #deps: HousekeepingDeps;
  #timer: { clear(): void } | null = null;
  #round: Promise<void> = Promise.resolve();
  #lastPrune = 0;

  constructor(deps: HousekeepingDeps) {
    this.#deps = deps;
  }

  start(): void {
    this.#schedule();
  }

  async stop(): Promise<void> {
    this.#timer?.clear();
    this.#timer = null;
    await this.#round;
  }

  #schedule(): void {
    const { clock, logger, settings } = this.#deps;
    this.#timer = clock.setTimeout(() => {
      this.#round = this.#sweep()
        .catch((err: unknown) => logger.error({ err }, 'the delivery sweep failed'))
        .finally(() => {
          if (this.#timer) this.#schedule();
        });
    }, settings.sweepIntervalMs);
  }

  async #sweep(): Promise<void> {
    const { clock, logger, settings, store } = this.#deps;
    const found = await this.#deps.sweep();
    if (found > 0) logger.warn({ found }, 'sweeper queued pending deliveries that nothing was handling');
    const now = clock.now();
    if (this.#deps.leading() && now - this.#lastPrune > PRUNE_EVERY_MS) {
      this.#lastPrune = now;
      store
        .prune(now - settings.retentionMs, settings.maxFinishedDeliveries)
        .catch((err: unknown) => logger.error({ err }, 'pruning deliveries failed'));
    }
  }
}
