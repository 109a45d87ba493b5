import type { Clock } from '../clock.ts';
import type { Logger } from '../ops/logger.ts';
import type { EventStore } from '../store/types.ts';
import { type AttemptDeps, type AttemptRequest, type AttemptResult, sendAttempt } from './attempt.ts';
import type { DeliveryClaims } from './claims.ts';
import type { DeliverySettings } from './config.ts';
import type { DeliveryStore } from './delivery-store.ts';
import type { DestinationPolicy } from '../outbound/destination-policy.ts';
import type { EndpointStore } from './endpoint-store.ts';
import type { EndpointHealth } from './health.ts';
import { Lanes } from './lanes.ts';
import type { DeliveryMetrics } from './metrics.ts';
import { buildRequest, failure, receiverDisableReason, rowAfterAttempt } from './outcome.ts';
import { isSuccess } from './retry-policy.ts';
import type { AttemptTransport } from './transport.ts';
import type { DeliveryRow, EndpointRow } from './types.ts';

export interface EngineDeps {
  settings: DeliverySettings;
  clock: Clock;
  transport: AttemptTransport;
  policy: DestinationPolicy;
  store: DeliveryStore;
  endpoints: EndpointStore;
  events: Pick<EventStore, 'getRaw'>;
  health: EndpointHealth;
  metrics: () => DeliveryMetrics | null;
  logger: Logger;
  claims: DeliveryClaims;
  random?: () => number;
}

/**
 * Sends pending deliveries through per-destination lanes and records every attempt. Rows are the
 * truth: a lane only holds ids, and anything taken from a lane is checked against its row first, so a
 * stale queue entry can cause at most a skipped turn, never a wrong send. The engine runs only
 * deliveries this instance holds the claim of (claims.ts): it gives the claim back once a delivery's
 * final row is written.
 */
export class DeliveryEngine {
  readonly #deps: EngineDeps;
  readonly #lanes: Lanes;
  /** Delivery id → when its attempt started (the sweeper looks for attempts that never ended). */
  readonly #inFlight = new Map<string, number>();
  readonly #running = new Set<Promise<void>>();
  readonly #stopping = new AbortController();
  #closing = false;
  /** Deliveries asked to be retried while they were being sent. */
  readonly #retryAfter = new Set<string>();
  /** Controllers of attempts in progress, aborted on stop (cheaper than a listener per attempt). */
  readonly #controllers = new Set<AbortController>();
  /** Pending deliveries whose claim this instance holds: queued, waiting or being sent here. */
  readonly #owned = new Set<string>();
  /** Held deliveries of paused endpoints (delivery id → endpoint id): queued again on resume. */
  readonly #parked = new Map<string, string>();
  readonly #attemptDeps: AttemptDeps;

  constructor(deps: EngineDeps) {
    this.#deps = deps;
    const { transport, clock, policy, settings } = deps;
    const track = (controller: AbortController) => {
      this.#controllers.add(controller);
      return () => this.#controllers.delete(controller);
    };
    this.#attemptDeps = { transport, clock, policy, track, timeoutMs: settings.timeoutMs, responseBytes: settings.responseBytes };
    this.#lanes = new Lanes({ ...deps, send: (id, ordered) => this.#track(id, ordered) });
  }

  isSending(id: string): boolean {
    return this.#inFlight.has(id);
  }

  get inFlightCount(): number {
    return this.#inFlight.size;
  }

  /** Whether this instance holds the delivery (and so is the one to send it and write its row). */
  owns(id: string): boolean {
    return this.#owned.has(id);
  }

  /** The deliveries this instance holds (given back to the others when it stops). */
  ownedIds(): string[] {
    return [...this.#owned];
  }

  /** Whether a delivery waits in a lane here (or is being sent). */
  isQueued(row: DeliveryRow): boolean {
    return this.#inFlight.has(row.id) || this.#parked.has(row.id) || this.#lanes.has(row);
  }

  /** Queues a pending delivery, whose claim this instance holds, in its lane at its due time. */
  schedule(row: DeliveryRow): void {
    if (row.status !== 'pending' || this.#closing) return;
    this.#owned.add(row.id);
    this.#parked.delete(row.id);
    this.#lanes.of(row).enqueue(row.id, row.next_attempt_at ?? this.#deps.clock.now());
  }

  /**
   * Another instance wrote a delivery held here: it took the claim over while this instance was
   * silent past the lease, so the delivery is no longer run here (an attempt in flight still ends).
   */
  disown(id: string): void {
    const row = this.#deps.store.get(id);
    this.#parked.delete(id);
    if (!this.#owned.delete(id) || !row) return;
    this.#lanes.remove(row);
  }

  /**
   * One more attempt now (the caller holds the claim): a pending delivery skips its wait, a finished
   * one gets a single manual attempt. A delivery being sent right now is re-queued as soon as that
   * attempt is recorded, so a retry never races the attempt's own write.
   */
  async retryNow(id: string): Promise<DeliveryRow | undefined> {
    if (this.#inFlight.has(id)) {
      this.#retryAfter.add(id);
      return this.#deps.store.get(id);
    }
    const row = this.#deps.store.get(id);
    if (!row) return undefined;
    const now = this.#deps.clock.now();
    const next: DeliveryRow =
      row.status === 'pending'
        ? { ...row, next_attempt_at: now, updated_at: now }
        : { ...row, status: 'pending', manual: true, attempts_left: 1, next_attempt_at: now, finished_at: null, updated_at: now };
    await this.#deps.store.save([next]);
    this.schedule(next);
    return next;
  }

  /**
   * Applies an endpoint's changed limits (a change of ordering rebuilds its lane); a resumed endpoint's
   * parked deliveries are queued again at their due times.
   */
  endpointChanged(endpoint: EndpointRow): void {
    this.#lanes.endpointChanged(endpoint);
    if (endpoint.paused || !endpoint.enabled) return;
    for (const [id, endpointId] of this.#parked) {
      if (endpointId !== endpoint.id) continue;
      this.#parked.delete(id);
      const row = this.#deps.store.get(id);
      if (row && this.#owned.has(id)) this.schedule(row);
    }
  }

  oldestDueAgeSeconds(): number {
    return this.#lanes.oldestDueAgeSeconds();
  }

  /**
   * Takes no new work, gives attempts in flight `graceMs` (real time: this is shutdown, not
   * scheduling) to finish and be recorded, then aborts the rest; those stay pending and resume on start.
   */
  async stop(graceMs = 2000): Promise<void> {
    this.#closing = true;
    this.#lanes.close();
    const settled = Promise.allSettled([...this.#running]);
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs);
    });
    await Promise.race([settled, grace]);
    clearTimeout(timer);
    this.#stopping.abort();
    for (const controller of this.#controllers) controller.abort(new Error('the relay is stopping'));
    await Promise.allSettled([...this.#running]);
  }

  /**
   * Runs one attempt. The lane's slot is given back once the receiver has answered, while the result
   * is still being written: the slot limits requests to the receiver, and the row stays marked in
   * flight until written, so it cannot be sent twice. An ordered lane waits for the write, because
   * a retry must be back at the head before the next event may go.
   */
  #track(id: string, ordered: boolean): Promise<void> {
    let answered = () => {};
    const httpDone = new Promise<void>((resolve) => {
      answered = resolve;
    });
    const run = this.#attempt(id, answered)
      .catch((err: unknown) => this.#deps.logger.error({ err, delivery: id }, 'delivery attempt failed'))
      .finally(() => {
        answered();
        this.#running.delete(run);
      });
    this.#running.add(run);
    return ordered ? run : httpDone;
  }

  async #attempt(id: string, answered: () => void): Promise<void> {
    const { store, endpoints, clock } = this.#deps;
    const row = store.get(id);
    if (this.#inFlight.has(id)) return;
    if (row?.status !== 'pending') return this.#settle(id);
    const now = clock.now();
    if ((row.next_attempt_at ?? now) > now) return this.schedule(row);
    const endpoint = row.endpoint_id ? endpoints.get(row.endpoint_id) : undefined;
    if (row.endpoint_id && !endpoint?.enabled) {
      return this.finish(row, endpoint ? `endpoint disabled: ${endpoint.disabled_reason}` : 'endpoint deleted');
    }
    if (endpoint?.paused) {
      // Kept pending, no attempt used: endpointChanged queues it again when the endpoint resumes.
      this.#parked.set(id, endpoint.id);
      return;
    }
    this.#inFlight.set(id, now);
    let next: DeliveryRow | null = null;
    try {
      const current = await this.#stillOurs(row);
      if (!current) return;
      const request = await this.#request(current, endpoint, now);
      const result = typeof request === 'string' ? failure(request) : await sendAttempt(this.#attemptDeps, request);
      answered();
      if (this.#stopping.signal.aborted && result.status === null) return; // cut off by shutdown: resumes on start
      next = await this.#record(current, endpoint, now, result);
    } finally {
      this.#inFlight.delete(id);
    }
    if (this.#retryAfter.delete(id)) {
      await this.retryNow(id);
      return;
    }
    // Queued only once no longer in flight, so the lane can never hand it out while it is still sending.
    if (next.status !== 'pending') this.#settle(id);
    else if (!this.#closing && this.#owned.has(id)) this.#lanes.of(next).enqueue(next.id, next.next_attempt_at as number, true);
  }

  /**
   * The row to send, as stored now, when other instances share the store and this one still holds the
   * delivery; null when it is not this instance's to send any more. Asked of the store (claims.ts
   * confirm) only when this instance's heartbeats cannot vouch for the claim (after a stall): while
   * they do, no other instance can have taken the delivery, and so none can have written its row.
   */
  async #stillOurs(row: DeliveryRow): Promise<DeliveryRow | null> {
    const { claims, store, logger } = this.#deps;
    if (!claims.shared || claims.surelyHeld(row.id)) return row;
    try {
      if (!(await claims.confirm(row.id))) {
        this.#owned.delete(row.id);
        return null;
      }
    } catch (err) {
      // Still held as far as this instance knows: the sweep queues it again.
      logger.warn({ err, delivery: row.id }, 'could not confirm a delivery claim; the attempt waits for the next sweep');
      return null;
    }
    const current = store.get(row.id);
    if (current?.status === 'pending') return current;
    this.#settle(row.id);
    return null;
  }

  /** The delivery's final row is written (or it is not pending any more): its claim goes back. */
  #settle(id: string): void {
    this.#parked.delete(id);
    if (this.#owned.delete(id)) this.#deps.claims.release([id]);
  }

  async #request(row: DeliveryRow, endpoint: EndpointRow | undefined, now: number): Promise<AttemptRequest | string> {
    const body = await this.#deps.events.getRaw(row.event_id);
    return body ? buildRequest(row, endpoint, body, now) : 'the event is no longer stored (retention)';
  }

  async #record(
    row: DeliveryRow,
    endpoint: EndpointRow | undefined,
    startedAt: number,
    result: AttemptResult,
  ): Promise<DeliveryRow> {
    const { settings, clock, store } = this.#deps;
    const now = clock.now();
    const ok = isSuccess(result.status);
    const next = rowAfterAttempt(row, result, { startedAt, now, settings, random: this.#deps.random });
    const { health } = this.#deps;
    const disableReason = receiverDisableReason(result);
    // The receiver asked to stop: the endpoint is disabled before this delivery shows as failed.
    if (endpoint && disableReason) await health.failed(endpoint.id, result.error ?? 'failed', now, disableReason);
    await store.save([next]);
    this.#observe(next, result);
    if (!endpoint || disableReason) return next;
    if (ok) await health.succeeded(endpoint.id);
    else await health.failed(endpoint.id, result.error ?? 'failed', now, null);
    return next;
  }

  #observe(row: DeliveryRow, result: AttemptResult): void {
    const metrics = this.#deps.metrics();
    if (!metrics) return;
    metrics.attempts.inc({ outcome: isSuccess(result.status) ? 'success' : 'failure' });
    metrics.attemptSeconds.observe(result.latencyMs / 1000);
    if (row.status !== 'pending') metrics.finished.inc({ status: row.status });
  }

  /** Marks a pending delivery failed without an attempt (endpoint disabled or deleted). */
  async finish(row: DeliveryRow, reason: string): Promise<void> {
    const now = this.#deps.clock.now();
    this.#lanes.remove(row);
    this.#parked.delete(row.id);
    const next: DeliveryRow = {
      ...row,
      status: 'failed',
      next_attempt_at: null,
      last_error: reason,
      updated_at: now,
      finished_at: now,
    };
    await this.#deps.store.save([next]);
    this.#deps.claims.release([row.id]);
    this.#owned.delete(row.id);
    this.#deps.metrics()?.finished.inc({ status: 'failed' });
  }
}
