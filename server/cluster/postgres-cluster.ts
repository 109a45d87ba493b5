import { performance } from 'node:perf_hooks';
import type { Database } from '../store/postgres/database.ts';
import type { Signal } from '../store/postgres/signals.ts';
import { type Cluster, type LeaderHandlers, Topics } from './cluster.ts';

export interface PostgresClusterOptions {
  db: Database;
  /** How long an instance may miss heartbeats before its claims are taken over. */
  leaseMs: number;
  onError(error: unknown): void;
}

/**
 * The part of the lease a heartbeat is not counted on for: time between taking `performance.now()`
 * and the statement starting, and this host's clock running faster than the database's.
 */
const LEASE_MARGIN = 1 / 3;

/** Also counts the other instances alive now, which tells the event store whether anyone reads its notices. */
const HEARTBEAT = `INSERT INTO relay_instances (id) VALUES ($1) ON CONFLICT (id) DO UPDATE SET seen_at = now()
  RETURNING (SELECT count(*)::int FROM relay_instances WHERE id <> $1 AND seen_at > now() - $2 * interval '1 millisecond') AS others`;

/** Instances silent this long are forgotten, with their claims. */
const FORGET_AFTER = '1 hour';

/**
 * Claims and roles as rows in PostgreSQL (relay_claims, relay_instances): a claim is an upsert that
 * succeeds when the key is free, already ours, or held by an instance whose heartbeat is older than
 * the lease; the row lock of the upsert settles concurrent claims. The database's clock decides
 * what is stale, so the hosts' clocks need not agree. Every leaseMs/3 this instance heartbeats,
 * re-claims the roles it takes part in, and looks for instances that went silent.
 */
export class PostgresCluster implements Cluster {
  readonly shared = true;
  readonly leaseMs: number;
  readonly #db: Database;
  readonly #onError: (error: unknown) => void;
  readonly #roles = new Map<string, { handlers: LeaderHandlers; leading: boolean }>();
  readonly #topics = new Topics();
  readonly #lostListeners = new Set<(instanceId: string) => void>();
  readonly #knownLost = new Set<string>();
  #timer: NodeJS.Timeout | null = null;
  #tick: Promise<void> = Promise.resolve();
  /** Roles and silent instances are being looked at (after a heartbeat). */
  #ticking = false;
  #beating: Promise<void> = Promise.resolve();
  /** When the last heartbeat was sent (`performance.now()`). */
  #lastSent = Number.NEGATIVE_INFINITY;
  #unlisten: (() => void) | null = null;
  #running = false;
  /** Claims asserted from this time on are covered by heartbeats that landed without a gap since. */
  #heldSince = Number.POSITIVE_INFINITY;
  /** When the last heartbeat that landed stops keeping this instance's claims its own (less the margin). */
  #heldUntil = Number.NEGATIVE_INFINITY;

  constructor(options: PostgresClusterOptions) {
    this.#db = options.db;
    this.leaseMs = options.leaseMs;
    this.#onError = options.onError;
  }

  get instanceId(): string {
    return this.#db.instance;
  }

  async start(): Promise<void> {
    this.#unlisten = await this.#db.listenToSignals(
      (signal) => this.#onSignal(signal),
      () => {},
    );
    await this.#beat();
    this.#running = true;
    // Instances found silent from the first tick on are reported: subsystems listen by then.
    this.#schedule();
  }

  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#beating;
    await this.#tick;
    this.#heldUntil = Number.NEGATIVE_INFINITY;
    this.#unlisten?.();
    for (const role of this.#roles.values()) role.leading = false;
    // Leaving on purpose: what this instance held is free for the others at once, not after the lease.
    await this.#db.query('DELETE FROM relay_claims WHERE owner = $1', [this.instanceId]).catch(this.#onError);
    await this.#db.query('DELETE FROM relay_instances WHERE id = $1', [this.instanceId]).catch(this.#onError);
  }

  async claim(keys: readonly string[]): Promise<string[]> {
    if (keys.length === 0) return [];
    const { rows } = await this.#db.query<{ key: string }>(
      // Keys in one order for every claimant, so that two claims of overlapping sets cannot deadlock.
      `INSERT INTO relay_claims (key, owner) SELECT k, $2 FROM (SELECT DISTINCT unnest($1::text[]) AS k) AS s ORDER BY k
       ON CONFLICT (key) DO UPDATE SET owner = EXCLUDED.owner, claimed_at = now()
       WHERE relay_claims.owner = EXCLUDED.owner OR NOT EXISTS (
         SELECT 1 FROM relay_instances i
         WHERE i.id = relay_claims.owner AND i.seen_at > now() - $3 * interval '1 millisecond')
       RETURNING key`,
      [keys, this.instanceId, this.leaseMs],
    );
    return rows.map((r) => r.key);
  }

  async release(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.#db.query('DELETE FROM relay_claims WHERE key = ANY($1) AND owner = $2', [keys, this.instanceId]);
  }

  lead(role: string, handlers: LeaderHandlers): () => void {
    const entry = { handlers, leading: false };
    this.#roles.set(role, entry);
    if (this.#running) this.#enqueue(() => this.#claimRoles());
    return () => {
      if (this.#roles.get(role) !== entry) return;
      this.#roles.delete(role);
      if (entry.leading) this.release([roleKey(role)]).catch(this.#onError);
    };
  }

  async send(topic: string, message: unknown): Promise<void> {
    const signal: Signal = { k: 'message', from: this.instanceId, topic, message };
    await this.#db.query('SELECT pg_notify($1, $2)', [this.#db.signals.channel, JSON.stringify(signal)]);
  }

  on(topic: string, listener: (message: unknown) => void): () => void {
    return this.#topics.on(topic, listener);
  }

  onInstanceLost(listener: (instanceId: string) => void): () => void {
    this.#lostListeners.add(listener);
    return () => this.#lostListeners.delete(listener);
  }

  heldUntil(claimedAt: number): number {
    return claimedAt >= this.#heldSince ? this.#heldUntil : Number.NEGATIVE_INFINITY;
  }

  /**
   * One heartbeat. Its seen_at (the statement's now()) is no earlier than `sent`, so the others see
   * this instance live until about `sent` plus the lease. Claims stay covered without a gap only if it
   * landed while the previous heartbeat still covered them; if not, the others may have taken them
   * meanwhile, and only claims asserted after it landed are vouched for.
   */
  async #beat(): Promise<void> {
    const sent = performance.now();
    this.#lastSent = sent;
    const { rows } = await this.#db.query<{ others: number }>(HEARTBEAT, [this.instanceId, this.leaseMs]);
    this.#db.otherInstances = rows[0]?.others ?? Number.POSITIVE_INFINITY;
    const landed = performance.now();
    if (landed >= this.#heldUntil) this.#heldSince = landed;
    this.#heldUntil = sent + this.leaseMs * (1 - LEASE_MARGIN);
  }

  #onSignal(signal: Signal): void {
    if (signal.k !== 'message') return;
    for (const listener of this.#topics.listeners(signal.topic)) listener(signal.message);
  }

  /**
   * The next heartbeat, lease/3 after the previous one was sent. Heartbeats run apart from the rest
   * of a tick (roles, silent instances, clean-up): a tick slowed by a busy database must not space the
   * heartbeats out past the lease, or live instances would take each other's work.
   */
  #schedule(): void {
    if (!this.#running) return;
    const period = Math.max(50, Math.floor(this.leaseMs / 3));
    this.#timer = setTimeout(
      () => {
        this.#beating = this.#heartbeat().finally(() => this.#schedule());
      },
      Math.max(0, this.#lastSent + period - performance.now()),
    );
    this.#timer.unref();
  }

  #enqueue(step: () => Promise<void>): void {
    this.#tick = this.#tick.then(step).catch(this.#onError);
  }

  async #heartbeat(): Promise<void> {
    if (!this.#running) return;
    try {
      await this.#beat();
    } catch (error) {
      this.#onError(error);
      return;
    }
    // The rest of the tick follows the heartbeat that landed; one still running is not queued twice.
    if (this.#ticking || !this.#running) return;
    this.#ticking = true;
    this.#enqueue(async () => {
      try {
        await this.#claimRoles();
        await this.#findLost();
      } finally {
        this.#ticking = false;
      }
    });
  }

  async #claimRoles(): Promise<void> {
    if (!this.#running || this.#roles.size === 0) return;
    const held = new Set(await this.claim([...this.#roles.keys()].map(roleKey)));
    for (const [role, entry] of this.#roles) {
      const leading = held.has(roleKey(role));
      if (leading === entry.leading) continue;
      entry.leading = leading;
      if (leading) entry.handlers.gained();
      else entry.handlers.lost();
    }
  }

  async #findLost(): Promise<void> {
    const { rows } = await this.#db.query<{ id: string }>(
      `SELECT id FROM relay_instances WHERE id <> $1 AND seen_at <= now() - $2 * interval '1 millisecond'`,
      [this.instanceId, this.leaseMs],
    );
    // An instance that heartbeats again after going silent (a long pause) is reported again if it goes silent once more.
    const silent = new Set(rows.map((r) => r.id));
    for (const id of this.#knownLost) if (!silent.has(id)) this.#knownLost.delete(id);
    for (const { id } of rows) {
      if (this.#knownLost.has(id)) continue;
      this.#knownLost.add(id);
      for (const listener of this.#lostListeners) listener(id);
    }
    // A dead instance's claim and no claim mean the same (anyone may take the work), so both rows go
    // once it has been silent for a while: the tables stay as small as the work in hand.
    await this.#db.query(
      `DELETE FROM relay_claims c WHERE NOT EXISTS (
         SELECT 1 FROM relay_instances i WHERE i.id = c.owner AND i.seen_at > now() - interval '${FORGET_AFTER}')`,
    );
    await this.#db.query(`DELETE FROM relay_instances WHERE seen_at < now() - interval '${FORGET_AFTER}'`);
  }
}

function roleKey(role: string): string {
  return `role:${role}`;
}
