import { Webhook } from 'svix';
import type { Clock } from '../clock.ts';
import { RelayError } from '../errors.ts';
import type { IdFactory } from '../ids.ts';
import type { EventStore } from '../store/types.ts';
import type { DeliverySettings } from './config.ts';
import type { DeliveryCoordination } from './coordination.ts';
import type { DeliveryStore } from './delivery-store.ts';
import { DestinationRefusedError, type DestinationPolicy } from '../outbound/destination-policy.ts';
import type { EndpointStore } from './endpoint-store.ts';
import type { DeliveryEngine } from './engine.ts';
import type { EndpointInput } from './endpoint-input.ts';
import { newDelivery } from './fanout.ts';
import { generateSecret, MAX_RETIRED_SECRETS, ROTATION_OVERLAP_MS } from './signing.ts';
import type { DeliveryOrigin, DeliveryRow, EndpointRow } from './types.ts';

/** Pending deliveries one flush call moves (docs/delivery.md, README limits). */
export const FLUSH_MAX = 1000;

export interface OperationsDeps {
  settings: DeliverySettings;
  clock: Clock;
  newId: IdFactory;
  policy: DestinationPolicy;
  store: DeliveryStore;
  endpoints: EndpointStore;
  events: Pick<EventStore, 'get'>;
  engine: DeliveryEngine;
  coordination: DeliveryCoordination;
}

/** What people and other subsystems can ask of delivery; the HTTP routes and the `delivery` service call these. */
export class DeliveryOperations {
  readonly #deps: OperationsDeps;
  constructor(deps: OperationsDeps) {
    this.#deps = deps;
  }

  endpoint(id: string): EndpointRow {
    const endpoint = this.#deps.endpoints.get(id);
    if (!endpoint) throw new RelayError('not_found', `No endpoint with id "${id}".`);
    return endpoint;
  }

  /**
   * Creates an endpoint. A uid another endpoint holds is refused with `endpoint_uid_taken` naming that
   * endpoint, so a client that lost track of its endpoint (an export/import, a crash) finds it instead
   * of making a second one.
   */
  async createEndpoint(input: EndpointInput): Promise<EndpointRow> {
    await this.#checkDestination(input.url as string);
    const now = this.#deps.clock.now();
    const id = this.#deps.newId('ep');
    const uid = input.uid ?? null;
    if (uid !== null) {
      const holder = await this.#deps.endpoints.reserveUid(uid, id, now);
      if (holder !== id) {
        throw new RelayError('endpoint_uid_taken', `Endpoint ${holder} already has the uid "${uid}".`, {
          endpoint_id: holder,
        });
      }
    }
    const row: EndpointRow = {
      id,
      url: input.url as string,
      description: input.description ?? '',
      filter: input.filter ?? { sources: null, types: null },
      headers: input.headers ?? {},
      enabled: input.enabled ?? true,
      paused: input.paused ?? false,
      uid,
      metadata: input.metadata ?? {},
      disabled_reason: input.enabled === false ? (input.disabled_reason ?? 'disabled on creation') : null,
      disabled_at: input.enabled === false ? now : null,
      concurrency: input.concurrency ?? null,
      rate_limit: input.rate_limit ?? null,
      ordered: input.ordered ?? false,
      secret: generateSecret(),
      previous_secrets: [],
      created_at: now,
      updated_at: now,
      failing_since: null,
      last_error: null,
    };
    try {
      await this.#deps.endpoints.save(row);
    } catch (error) {
      if (uid !== null) await this.#deps.endpoints.releaseUid(uid).catch(() => {});
      throw error;
    }
    return row;
  }

  /** The endpoint holding a uid, if any. */
  endpointByUid(uid: string): EndpointRow | undefined {
    return this.#deps.endpoints.list().find((e) => e.uid === uid);
  }

  async updateEndpoint(id: string, input: EndpointInput): Promise<EndpointRow> {
    await this.#deps.endpoints.refresh([id]);
    const current = this.endpoint(id);
    if (input.url !== undefined && input.url !== current.url) await this.#checkDestination(input.url);
    const now = this.#deps.clock.now();
    const { disabled_reason: reason, ...fields } = input;
    const next: EndpointRow = { ...current, ...fields, updated_at: now };
    if (input.enabled === true && !current.enabled)
      Object.assign(next, { disabled_reason: null, disabled_at: null, failing_since: null });
    if (input.enabled === false && current.enabled)
      Object.assign(next, { disabled_reason: reason ?? 'disabled by an administrator', disabled_at: now });
    await this.#deps.endpoints.save(next);
    if (!next.enabled && current.enabled) await this.failPending(next, `endpoint disabled: ${next.disabled_reason}`);
    this.#deps.engine.endpointChanged(next);
    return next;
  }

  async deleteEndpoint(id: string): Promise<void> {
    const endpoint = this.endpoint(id);
    await this.#deps.endpoints.delete(id);
    if (endpoint.uid !== null) await this.#deps.endpoints.releaseUid(endpoint.uid);
    await this.failPending(endpoint, 'endpoint deleted');
  }

  /**
   * Every pending delivery of the endpoint is due now (the oldest FLUSH_MAX of them per call), instead
   * of waiting out its retry delay. Returns those it moved and how many stay pending beyond them.
   */
  async flush(id: string): Promise<{ rows: DeliveryRow[]; remaining: number }> {
    const endpoint = this.#enabledEndpoint(id);
    if (endpoint.paused) throw new RelayError('endpoint_paused', `Endpoint ${id} is paused; resume it first.`);
    const pending = this.#deps.store.since(id, 'pending', 0);
    const ids = pending.slice(0, FLUSH_MAX).map((row) => row.id);
    const rows = await this.#deps.coordination.retryAll(ids);
    // Those another instance holds are asked of it, one by one.
    const moved = new Set(rows.map((row) => row.id));
    for (const other of ids.filter((d) => !moved.has(d))) {
      const row = await this.#deps.coordination.retry(other).catch(() => undefined);
      if (row) rows.push(row);
    }
    return { rows, remaining: Math.max(0, pending.length - FLUSH_MAX) };
  }

  async rotateSecret(id: string): Promise<EndpointRow> {
    await this.#deps.endpoints.refresh([id]);
    const current = this.endpoint(id);
    const now = this.#deps.clock.now();
    const previous = [{ secret: current.secret, expires_at: now + ROTATION_OVERLAP_MS }, ...current.previous_secrets]
      .filter((p) => p.expires_at > now)
      .slice(0, MAX_RETIRED_SECRETS);
    const next = { ...current, secret: generateSecret(), previous_secrets: previous, updated_at: now };
    await this.#deps.endpoints.save(next);
    return next;
  }

  /**
   * Fails the endpoint's pending deliveries (it was disabled or deleted); recover re-sends them later.
   * Other instances fail the ones they hold when they see the endpoint change.
   */
  async failPending(endpoint: Pick<EndpointRow, 'id'>, reason: string): Promise<void> {
    await this.#deps.coordination.failPending(endpoint.id, reason);
  }

  /** One more attempt now: a pending delivery skips its wait; a finished one gets a single manual attempt. */
  async retry(deliveryId: string): Promise<DeliveryRow> {
    const row = this.#deps.store.get(deliveryId);
    if (!row) throw new RelayError('not_found', `No delivery with id "${deliveryId}".`);
    if (row.endpoint_id) this.#enabledEndpoint(row.endpoint_id);
    return (await this.#deps.coordination.retry(deliveryId)) ?? row;
  }

  /** Re-sends every failed delivery of the endpoint created since the time (one attempt each). */
  async recover(endpointId: string, since: number): Promise<DeliveryRow[]> {
    this.#enabledEndpoint(endpointId);
    const now = this.#deps.clock.now();
    if (since < now - this.#deps.settings.recoverMaxMs) {
      const days = this.#deps.settings.recoverMaxMs / 86_400_000;
      throw new RelayError('invalid_request', `"since" may be at most ${days} days ago (delivery.recoverMaxDays).`);
    }
    const failed = this.#deps.store.since(endpointId, 'failed', since).map((row) => row.id);
    return this.#deps.coordination.retryAll(failed);
  }

  /** Sends a stored event to an endpoint, whether or not its filter matches. */
  async enqueueForEndpoint(endpointId: string, eventId: string, origin: DeliveryOrigin = 'endpoint'): Promise<DeliveryRow> {
    this.#enabledEndpoint(endpointId);
    const event = await this.#event(eventId);
    return this.#enqueue(newDelivery(this.#attemptDeps(), event, { endpointId }, origin));
  }

  /** A signed delivery of a stored event to any URL (workflow deliver step, AI webhook_url), with retries. */
  async enqueueForUrl(input: { url: string; secret: string; eventId: string }): Promise<DeliveryRow> {
    try {
      new Webhook(input.secret);
    } catch {
      throw new RelayError('invalid_request', 'The signing secret is not a valid Standard Webhooks secret (whsec_...).');
    }
    await this.#checkDestination(input.url);
    const event = await this.#event(input.eventId);
    return this.#enqueue(newDelivery(this.#attemptDeps(), event, { url: input.url, secret: input.secret }, 'url'));
  }

  /** Claimed here and run here, on whichever instance was asked. */
  async #enqueue(row: DeliveryRow): Promise<DeliveryRow> {
    const [created] = await this.#deps.coordination.create([row]);
    if (!created) throw new Error(`delivery ${row.id} could not be claimed`);
    return created;
  }

  #attemptDeps() {
    return { clock: this.#deps.clock, newId: this.#deps.newId, attempts: () => this.#deps.settings.scheduleMs.length };
  }

  #enabledEndpoint(id: string): EndpointRow {
    const endpoint = this.endpoint(id);
    if (!endpoint.enabled) {
      throw new RelayError('endpoint_disabled', `Endpoint ${id} is disabled (${endpoint.disabled_reason}); enable it first.`);
    }
    return endpoint;
  }

  async #event(id: string) {
    const event = await this.#deps.events.get(id);
    if (!event) throw new RelayError('not_found', `No stored event with id "${id}".`);
    return event;
  }

  async #checkDestination(url: string): Promise<void> {
    try {
      await this.#deps.policy.check(url);
    } catch (error) {
      if (error instanceof DestinationRefusedError) throw new RelayError('destination_refused', error.message);
      throw error;
    }
  }
}
