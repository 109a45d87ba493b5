import type { EventService } from '../events/event-service.ts';
import type { Logger } from '../ops/logger.ts';
import type { EndpointStore } from './endpoint-store.ts';
import type { EndpointRow } from './types.ts';

export interface HealthDeps {
  endpoints: EndpointStore;
  eventService: EventService;
  logger: Logger;
  disableAfterMs: number;
}

/**
 * Tracks each endpoint's run of failures. The endpoint row is written only when the run starts or ends
 * (not on every failure), and disabling emits `endpoint.disabled` so the console, other endpoints and
 * workflows see it.
 */
export class EndpointHealth {
  readonly #deps: HealthDeps;
  #disabled: (endpoint: EndpointRow) => Promise<void> = async () => {};
  constructor(deps: HealthDeps) {
    this.#deps = deps;
  }

  /**
   * What happens once an endpoint is disabled (delivery fails its pending deliveries with the reason).
   * Set after construction: those operations need the engine, which reports outcomes here.
   */
  onDisabled(handler: (endpoint: EndpointRow) => Promise<void>): void {
    this.#disabled = handler;
  }

  async succeeded(endpointId: string): Promise<void> {
    const cached = this.#deps.endpoints.get(endpointId);
    if (!cached || cached.failing_since === null) return;
    const endpoint = await this.#current(endpointId);
    if (!endpoint || endpoint.failing_since === null) return;
    await this.#deps.endpoints.save({ ...endpoint, failing_since: null });
  }

  async failed(endpointId: string, error: string, now: number, disableNow: string | null): Promise<void> {
    const cached = this.#deps.endpoints.get(endpointId);
    if (!cached?.enabled) return;
    // Only the start and end of a run of failures write, so re-reading first costs little.
    const endpoint =
      disableNow || cached.failing_since === null || now - cached.failing_since >= this.#deps.disableAfterMs
        ? await this.#current(endpointId)
        : cached;
    if (!endpoint?.enabled) return;
    if (disableNow) return this.disable(endpoint, disableNow, now);
    if (endpoint.failing_since === null) {
      await this.#deps.endpoints.save({ ...endpoint, failing_since: now, last_error: error });
    } else if (now - endpoint.failing_since >= this.#deps.disableAfterMs) {
      const hours = Math.round((now - endpoint.failing_since) / 3_600_000);
      await this.disable(endpoint, `failing continuously for ${hours} h (last error: ${error})`, now);
    }
  }

  /**
   * The endpoint as stored now: another instance (an administrator's change) may have written it a
   * moment ago, and a write from a stale copy would undo that change.
   */
  async #current(endpointId: string): Promise<EndpointRow | undefined> {
    await this.#deps.endpoints.refresh([endpointId]);
    return this.#deps.endpoints.get(endpointId);
  }

  async disable(endpoint: EndpointRow, reason: string, now: number): Promise<void> {
    const disabled: EndpointRow = { ...endpoint, enabled: false, disabled_reason: reason, disabled_at: now, updated_at: now };
    await this.#deps.endpoints.save(disabled);
    this.#deps.logger.warn({ endpoint: endpoint.id, reason }, 'endpoint disabled');
    await this.#disabled(disabled);
    await this.#deps.eventService
      .emit({
        source: 'hookrelay',
        type: 'endpoint.disabled',
        payload: {
          type: 'endpoint.disabled',
          endpoint_id: endpoint.id,
          url: endpoint.url,
          reason,
          at: new Date(now).toISOString(),
        },
      })
      .catch((err: unknown) => this.#deps.logger.error({ err, endpoint: endpoint.id }, 'could not record endpoint.disabled'));
  }
}
