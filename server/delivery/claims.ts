import { performance } from 'node:perf_hooks';
import type { Cluster } from '../cluster/cluster.ts';

/** Keys per claim statement: a takeover of a large backlog is many bounded statements, not one huge one. */
const CHUNK = 1000;

/**
 * Claims on deliveries (`dlv:<id>`) among relay instances sharing a store: the instance holding a
 * delivery's claim is the only one that sends it and writes its row. Releases are gathered and sent
 * together once per turn of the event loop, since finished deliveries come in bursts.
 */
export class DeliveryClaims {
  readonly #cluster: Cluster;
  readonly #onError: (error: unknown) => void;
  readonly #refresh: (ids: readonly string[]) => Promise<void>;
  #releasing: string[] = [];
  #flush: Promise<void> | null = null;
  #confirming: Array<{ id: string; settle: (held: boolean | Error) => void }> = [];
  /** Delivery id → when its claim was last asserted (`performance.now()` before the statement); shared stores only. */
  readonly #claimedAt = new Map<string, number>();

  /** `refresh` re-reads delivery rows, for confirm(). */
  constructor(
    cluster: Cluster,
    onError: (error: unknown) => void,
    refresh: (ids: readonly string[]) => Promise<void> = async () => {},
  ) {
    this.#cluster = cluster;
    this.#onError = onError;
    this.#refresh = refresh;
  }

  /** Whether other instances may hold deliveries (claims can be refused, rows change underneath). */
  get shared(): boolean {
    return this.#cluster.shared;
  }

  /** The ids now held by this instance: free ones, its own, and those of instances that died. */
  async claim(ids: readonly string[]): Promise<string[]> {
    const granted: string[] = [];
    for (let i = 0; i < ids.length; i += CHUNK) {
      const chunk = ids.slice(i, i + CHUNK);
      const sent = performance.now();
      const held = new Set(await this.#cluster.claim(chunk.map(deliveryKey)));
      for (const id of chunk) {
        if (held.has(deliveryKey(id))) {
          granted.push(id);
          if (this.#cluster.shared) this.#claimedAt.set(id, sent);
        } else this.#claimedAt.delete(id);
      }
    }
    return granted;
  }

  /**
   * Whether this instance certainly still holds a delivery without asking the store: its claim was
   * asserted while its heartbeats kept landing, and no other instance can have taken it since
   * (cluster heldUntil). False means confirm() must ask.
   */
  surelyHeld(id: string): boolean {
    const claimedAt = this.#claimedAt.get(id);
    return claimedAt !== undefined && performance.now() < this.#cluster.heldUntil(claimedAt);
  }

  /**
   * Whether this instance still holds a delivery, just before sending it, when surelyHeld() cannot
   * tell: an instance that stalled past the lease (a long pause, a partition) may have lost it to a
   * takeover. The claim is asserted again and, if held, the row re-read (another instance may have
   * finished it meanwhile). Attempts starting together share one claim and one re-read.
   */
  confirm(id: string): Promise<boolean> {
    return new Promise<boolean | Error>((settle) => {
      this.#confirming.push({ id, settle });
      if (this.#confirming.length === 1) setImmediate(() => this.#confirmAll());
    }).then((held) => {
      if (held instanceof Error) throw held;
      return held;
    });
  }

  async #confirmAll(): Promise<void> {
    const batch = this.#confirming;
    this.#confirming = [];
    try {
      const held = new Set(await this.claim(batch.map((entry) => entry.id)));
      await this.#refresh([...held]);
      for (const entry of batch) entry.settle(held.has(entry.id));
    } catch (error) {
      for (const entry of batch) entry.settle(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /** Gives deliveries back (their final row is written, or they were not ours to run after all). */
  release(ids: readonly string[]): void {
    if (ids.length === 0 || !this.#cluster.shared) return;
    for (const id of ids) {
      this.#claimedAt.delete(id);
      this.#releasing.push(deliveryKey(id));
    }
    this.#flush ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.#send());
  }

  /** Waits for releases asked for so far to reach the store. */
  async settled(): Promise<void> {
    while (this.#flush) await this.#flush;
  }

  async #send(): Promise<void> {
    const keys = this.#releasing;
    this.#releasing = [];
    try {
      for (let i = 0; i < keys.length; i += CHUNK) await this.#cluster.release(keys.slice(i, i + CHUNK));
    } catch (error) {
      // A claim left behind is harmless: it lapses when this instance stops, and a claim on a finished
      // delivery only means a takeover re-reads the row and lets it go.
      this.#onError(error);
    } finally {
      this.#flush = this.#releasing.length > 0 ? this.#send() : null;
    }
  }
}

const KEY_PREFIX = 'dlv:';

export function deliveryKey(id: string): string {
  return KEY_PREFIX + id;
}
