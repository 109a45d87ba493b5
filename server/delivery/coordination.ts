import type { Clock } from '../clock.ts';
import type { Cluster } from '../cluster/cluster.ts';
import { RelayError } from '../errors.ts';
import type { Logger } from '../ops/logger.ts';
import type { DeliveryClaims } from './claims.ts';
import type { DeliveryStore } from './delivery-store.ts';
import type { DeliveryEngine } from './engine.ts';
import { HolderRequests } from './holder-requests.ts';
import type { DeliveryRow } from './types.ts';

const RECHECK_EVERY_SWEEPS = 10;

const RELEASED = 'delivery.released';

export interface CoordinationDeps {
  cluster: Cluster;
  claims: DeliveryClaims;
  store: DeliveryStore;
  engine: DeliveryEngine;
  clock: Clock;
  logger: Logger;
}

/**
 * Which instance runs which delivery, when several share one store: a delivery is claimed before its
 * row is written and run where it was claimed; deliveries of an instance that died (or stopped) are
 * claimed, re-read and resumed by the others; a retry of a delivery another instance holds is asked
 * of that instance. In one process every claim is granted and this is the plain single-relay flow.
 */
export class DeliveryCoordination {
  readonly #deps: CoordinationDeps;
  readonly #holders: HolderRequests;
  readonly #stops: Array<() => void> = [];
  #takingOver: Promise<number> | null = null;
  /**
   * Pending deliveries a live instance held at a recent sweep. Their claims are not asked for again
   * on every sweep (a large backlog on another instance would cost statements for nothing): only
   * after an instance is lost or stops, and every RECHECK_EVERY_SWEEPS sweeps as a safety net.
   */
  readonly #heldElsewhere = new Set<string>();
  #sweeps = 0;

  constructor(deps: CoordinationDeps) {
    this.#deps = deps;
    this.#holders = new HolderRequests(deps);
  }

  start(): void {
    const { cluster, store, engine } = this.#deps;
    this.#stops.push(
      this.#holders.listen(),
      cluster.on(RELEASED, () => this.#takeOverInBackground('an instance stopped')),
      cluster.onInstanceLost((instance) => this.#takeOverInBackground(`instance ${instance} went silent`)),
      store.onChange((ids) => {
        const ours = ids.filter((id) => engine.owns(id));
        if (ours.length > 0) this.#checkStillHeld(ours);
      }),
    );
  }

  /**
   * Nothing but a takeover writes a delivery another instance holds, so one of ours written elsewhere
   * means this instance was silent past the lease and lost it, unless its claim is still ours (the
   * change is this instance's own write, read back after a lost LISTEN connection).
   */
  #checkStillHeld(ids: string[]): void {
    const { claims, engine, logger, store } = this.#deps;
    claims.claim(ids).then(
      (granted) => {
        const held = new Set(granted);
        for (const id of ids) {
          if (engine.isSending(id)) continue; // its attempt settles it
          if (!held.has(id)) engine.disown(id);
          else if (store.get(id)?.status !== 'pending') {
            // Taken over, finished and let go elsewhere: nothing left to run here.
            engine.disown(id);
            claims.release([id]);
          }
        }
      },
      (err: unknown) => logger.error({ err }, 'could not check delivery claims'),
    );
  }

  /** Stops taking over and answering for deliveries (before the engine stops). */
  async close(): Promise<void> {
    for (const stop of this.#stops.splice(0)) stop();
    await this.#takingOver;
  }

  /** Once the engine has stopped: gives this instance's deliveries back and tells the others to take them now. */
  async handOver(): Promise<void> {
    const { claims, cluster, engine } = this.#deps;
    if (!claims.shared) return;
    claims.release(engine.ownedIds());
    await claims.settled();
    await cluster.send(RELEASED, {}).catch((err: unknown) => this.#deps.logger.error({ err }, 'could not hand deliveries over'));
  }

  /** Claims, stores and queues new deliveries; resolves with those created here. */
  async create(rows: DeliveryRow[]): Promise<DeliveryRow[]> {
    const { claims, store, engine } = this.#deps;
    const granted = new Set(await claims.claim(rows.map((row) => row.id)));
    const mine = rows.filter((row) => granted.has(row.id));
    const notRunHere = (ids: string[]) => claims.release(ids.filter((id) => !engine.owns(id)));
    let inserted: DeliveryRow[];
    try {
      inserted = await store.insertNew(mine);
    } catch (error) {
      notRunHere(mine.map((row) => row.id));
      throw error;
    }
    const fresh = new Set(inserted.map((row) => row.id));
    // Already stored (a second fan-out of the same event): not ours to run.
    notRunHere(mine.filter((row) => !fresh.has(row.id)).map((row) => row.id));
    for (const row of inserted) engine.schedule(row);
    return inserted;
  }

  /** Claims pending deliveries that nothing here runs, re-reads them and queues those still pending. */
  async takeOver(ids: readonly string[]): Promise<number> {
    return (await this.#takeOver(ids)).taken;
  }

  async #takeOver(ids: readonly string[]): Promise<{ taken: number; refused: string[] }> {
    const { claims, store, engine } = this.#deps;
    const candidates = ids.filter((id) => !engine.owns(id) && !engine.isSending(id)).sort();
    const held = new Set(await claims.claim(candidates));
    const refused = candidates.filter((id) => !held.has(id));
    // Queued in id order, which is event order for an ordered endpoint's lane.
    const granted = candidates.filter((id) => held.has(id));
    if (granted.length === 0) return { taken: 0, refused };
    await store.refresh(granted);
    const notPending: string[] = [];
    let taken = 0;
    for (const id of granted) {
      const row = store.get(id);
      if (row?.status !== 'pending') {
        notPending.push(id);
        continue;
      }
      engine.schedule(row);
      taken++;
    }
    claims.release(notPending);
    return { taken, refused };
  }

  /**
   * The periodic safety net: re-queues held deliveries that no lane has (a lost wake-up) and takes
   * over pending ones that no live instance holds. Returns how many it found.
   */
  async sweep(): Promise<number> {
    const { engine, store } = this.#deps;
    if (++this.#sweeps % RECHECK_EVERY_SWEEPS === 0) this.#heldElsewhere.clear();
    let found = 0;
    const unheld: string[] = [];
    for (const row of store.pending()) {
      if (!engine.owns(row.id)) {
        if (!this.#heldElsewhere.has(row.id)) unheld.push(row.id);
      } else if (!engine.isQueued(row)) {
        found++;
        engine.schedule(row);
      }
    }
    const { taken, refused } = await this.#takeOver(unheld);
    for (const id of refused) this.#heldElsewhere.add(id);
    return found + taken;
  }

  /** Fails an endpoint's pending deliveries that this instance holds or can claim (it was disabled or deleted). */
  async failPending(endpointId: string, reason: string): Promise<void> {
    const { claims, store, engine } = this.#deps;
    const granted = await claims.claim(store.since(endpointId, 'pending', 0).map((row) => row.id));
    await store.refresh(granted);
    for (const id of granted) {
      const row = store.get(id);
      // One being sent is finished by its own attempt (which finds the endpoint disabled next time).
      if (row?.status === 'pending' && !engine.isSending(id)) await engine.finish(row, reason);
      else if (!engine.owns(id)) claims.release([id]);
    }
  }

  /**
   * One more attempt now for each delivery this instance can claim; those another instance holds
   * are being handled there and are left alone.
   */
  async retryAll(ids: readonly string[]): Promise<DeliveryRow[]> {
    const { claims, store, engine } = this.#deps;
    const held = new Set(await claims.claim(ids));
    const granted = ids.filter((id) => held.has(id));
    await store.refresh(granted);
    const rows: DeliveryRow[] = [];
    for (const id of granted) {
      const row = await engine.retryNow(id);
      if (row) rows.push(row);
      else claims.release([id]);
    }
    return rows;
  }

  /** One more attempt now: here if this instance holds or can claim it, else by the instance holding it. */
  async retry(id: string): Promise<DeliveryRow | undefined> {
    for (let tries = 0; tries < 2; tries++) {
      const [row] = await this.retryAll([id]);
      if (row) return row;
      if (!this.#deps.store.get(id)) return undefined;
      if (tries === 0 && (await this.#holders.retry(id))) {
        await this.#deps.store.refresh([id]);
        return this.#deps.store.get(id);
      }
      // No answer: the holder may have just finished it and let it go; claim once more.
    }
    throw new RelayError(
      'delivery_busy',
      `Delivery ${id} is held by another relay instance that did not answer in time; try again.`,
    );
  }

  #takeOverInBackground(why: string): void {
    const { store, logger } = this.#deps;
    this.#heldElsewhere.clear();
    const previous = this.#takingOver ?? Promise.resolve(0);
    const run = previous
      .then(() => this.takeOver(store.pending().map((row) => row.id)))
      .then(
        (taken) => {
          if (taken > 0) logger.info({ taken, why }, 'took over pending deliveries');
          return taken;
        },
        (err: unknown) => {
          logger.error({ err, why }, 'taking over deliveries failed; the sweeper tries again');
          return 0;
        },
      )
      .finally(() => {
        if (this.#takingOver === run) this.#takingOver = null;
      });
    this.#takingOver = run;
  }
}
