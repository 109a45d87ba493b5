import type { EventBus } from '../bus.ts';
import type { Clock } from '../clock.ts';
import type { Cluster } from '../cluster/cluster.ts';
import type { Logger } from '../ops/logger.ts';
import type { CursorStore, EndpointStore } from './endpoint-store.ts';
import type { FanOut } from './fanout.ts';

export interface FanOutRoleDeps {
  cluster: Cluster;
  bus: EventBus;
  clock: Clock;
  logger: Logger;
  endpoints: EndpointStore;
  cursor: CursorStore;
  /** A fresh fan-out for each time this instance comes to lead. */
  newFanOut(): FanOut;
}

interface Term {
  fanOut: FanOut;
  unsubscribe: () => void;
  recovering: Promise<void>;
  /** Endpoints this term has seen; one that appears later gets its recent events caught up. */
  known: Set<string>;
}

/**
 * How recent an endpoint another instance created must be for its events to be caught up: it reaches
 * this instance within milliseconds, so an older one is not new, only changed (its events since
 * creation were fanned out to it all along).
 */
const NEW_ENDPOINT_MS = 60_000;

/**
 * Fan-out of stored events into deliveries is led by one instance (`delivery.fanout`): it hears the
 * events every instance stores, owns the shared cursor, and on becoming leader recovers from the
 * cursor, so events a leader that died had acknowledged still get their deliveries. Followers create
 * no deliveries from events. In one process this instance always leads.
 */
export class FanOutRole {
  readonly #deps: FanOutRoleDeps;
  #term: Term | null = null;
  #ending: Promise<void> = Promise.resolve();
  #withdraw: (() => void) | null = null;
  #stopped = false;

  constructor(deps: FanOutRoleDeps) {
    this.#deps = deps;
  }

  get leading(): boolean {
    return this.#term !== null;
  }

  start(): void {
    this.#withdraw = this.#deps.cluster.lead('delivery.fanout', {
      gained: () => this.#gain(),
      lost: () => {
        this.#deps.logger.warn('no longer leading delivery fan-out (another instance took it over)');
        this.#end();
      },
    });
  }

  /** Finishes the current term (its queued events, its cursor), then lets another instance lead. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#end();
    await this.#ending;
    this.#withdraw?.();
    this.#withdraw = null;
  }

  /** Endpoints another instance changed: a new one may match events this leader already fanned out. */
  endpointsChanged(ids: readonly string[]): void {
    const term = this.#term;
    if (!term) return;
    const recent = this.#deps.clock.now() - NEW_ENDPOINT_MS;
    for (const id of ids) {
      const endpoint = this.#deps.endpoints.get(id);
      if (!endpoint?.enabled || term.known.has(id) || endpoint.created_at < recent) continue;
      term.known.add(id);
      term.fanOut
        .catchUp(endpoint)
        .catch((err: unknown) => this.#deps.logger.error({ err, endpoint: id }, 'could not fan out to a new endpoint'));
    }
  }

  #gain(): void {
    if (this.#term || this.#stopped) return;
    const { bus, cursor, endpoints, logger } = this.#deps;
    const fanOut = this.#deps.newFanOut();
    const known = new Set(endpoints.list().map((e) => e.id));
    // Subscribe before recovering, so nothing published meanwhile is missed; both paths skip
    // deliveries that already exist. Recovery runs alongside (a large backlog must not keep the
    // relay from listening); stopping waits for it.
    const unsubscribe = bus.subscribe(fanOut.onEvent, { everyInstance: true });
    const previous = this.#ending;
    const recovering = fanOut
      .recover(async () => {
        await previous;
        await cursor.refresh();
      })
      .then(
        (recovered) => {
          if (recovered > 0) logger.info({ recovered }, 'created deliveries for events stored before a restart or takeover');
        },
        (err: unknown) => logger.error({ err }, 'fan-out recovery failed; the next start retries it'),
      );
    this.#term = { fanOut, unsubscribe, recovering, known };
  }

  #end(): void {
    const term = this.#term;
    if (!term) return;
    this.#term = null;
    term.unsubscribe();
    term.fanOut.stop();
    this.#ending = this.#ending.then(async () => {
      await term.recovering;
      await term.fanOut.flush();
    });
  }
}
