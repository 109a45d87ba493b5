import type { Clock } from '../clock.ts';
import type { DeliverySettings } from './config.ts';
import type { EndpointStore } from './endpoint-store.ts';
import { Lane, type LaneLimits } from './lane.ts';
import type { DeliveryRow, EndpointRow } from './types.ts';

type Destination = Pick<DeliveryRow, 'endpoint_id' | 'target'>;

/** The lanes of one engine: one per endpoint, and one per origin for deliveries to bare URLs. */
export class Lanes {
  readonly #lanes = new Map<string, Lane>();
  readonly #settings: DeliverySettings;
  readonly #endpoints: EndpointStore;
  readonly #clock: Clock;
  readonly #send: (id: string, ordered: boolean) => Promise<void>;

  constructor(deps: {
    settings: DeliverySettings;
    endpoints: EndpointStore;
    clock: Clock;
    send: (id: string, ordered: boolean) => Promise<void>;
  }) {
    this.#settings = deps.settings;
    this.#endpoints = deps.endpoints;
    this.#clock = deps.clock;
    this.#send = deps.send;
  }

  /** The delivery's lane, made on first use. */
  of(row: Destination): Lane {
    const key = laneKey(row);
    let lane = this.#lanes.get(key);
    if (!lane) {
      const endpoint = row.endpoint_id ? this.#endpoints.get(row.endpoint_id) : undefined;
      lane = new Lane(key, this.#limitsOf(endpoint), this.#clock, this.#send);
      this.#lanes.set(key, lane);
    }
    return lane;
  }

  has(row: DeliveryRow): boolean {
    return this.#lanes.get(laneKey(row))?.has(row.id) ?? false;
  }

  remove(row: DeliveryRow): void {
    this.#lanes.get(laneKey(row))?.remove(row.id);
  }

  /** Applies an endpoint's changed limits; a change of ordering rebuilds its lane. */
  endpointChanged(endpoint: EndpointRow): void {
    const lane = this.#lanes.get(endpoint.id);
    if (!lane) return;
    const limits = this.#limitsOf(endpoint);
    if (limits.ordered === lane.limits.ordered) {
      lane.setLimits(limits);
      return;
    }
    lane.close();
    this.#lanes.delete(endpoint.id);
    const entries = lane.entries().sort(([a], [b]) => (a < b ? -1 : 1));
    for (const [id, due] of entries) this.of({ endpoint_id: endpoint.id, target: null }).enqueue(id, due);
  }

  oldestDueAgeSeconds(): number {
    const now = this.#clock.now();
    let oldest = now;
    for (const lane of this.#lanes.values()) oldest = Math.min(oldest, lane.oldestDue(now) ?? now);
    return (now - oldest) / 1000;
  }

  close(): void {
    for (const lane of this.#lanes.values()) lane.close();
  }

  #limitsOf(endpoint: EndpointRow | undefined): LaneLimits {
    const { concurrency, rateLimit } = this.#settings;
    return {
      concurrency: endpoint?.concurrency ?? concurrency,
      rateLimit: endpoint?.rate_limit ?? rateLimit,
      ordered: endpoint?.ordered ?? false,
    };
  }
}

function laneKey(row: Destination): string {
  return row.endpoint_id ?? `url ${new URL(row.target?.url ?? '').origin}`;
}
