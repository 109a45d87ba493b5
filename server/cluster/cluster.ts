// Coordination between relay instances that share one store. Work items (a delivery, a workflow run,
// an AI response, a batch) are claimed by key so that one instance at a time runs them; a claim lasts
// while its owner is alive (it heartbeats), and work held by an instance that stopped heartbeating is
// taken over by the others. Roles (the fan-out of stored events into deliveries, say) are led by one
// instance. Implementations: LocalCluster (one process: every claim is granted) and PostgresCluster.

export interface LeaderHandlers {
  /** This instance now leads the role (at start, or after the leader died). */
  gained(): void;
  /** This instance no longer leads (it could not heartbeat and another took over). */
  lost(): void;
}

export interface Cluster {
  /** This process's id, unique per start. */
  readonly instanceId: string;
  /** True when other instances may share the store (claims can be refused). */
  readonly shared: boolean;
  /** How long an instance may go without heartbeating before its claims are taken over. */
  readonly leaseMs: number;
  start(): Promise<void>;
  /** Releases this instance's claims and roles so others take them over at once. */
  stop(): Promise<void>;
  /**
   * Claims work items; resolves with the keys now held by this instance: those nobody held, those it
   * already held, and those held by an instance that stopped heartbeating. A key another live
   * instance holds is not granted.
   */
  claim(keys: readonly string[]): Promise<string[]>;
  /** Gives up claims (after the work is finished and its row written). */
  release(keys: readonly string[]): Promise<void>;
  /** Takes part in leading a role; the returned function withdraws (and releases it if held). */
  lead(role: string, handlers: LeaderHandlers): () => void;
  /** Sends a message to every instance, this one included (after the sending transaction). */
  send(topic: string, message: unknown): Promise<void>;
  /** Listens for messages on a topic; returns the function that stops listening. */
  on(topic: string, listener: (message: unknown) => void): () => void;
  /**
   * Called when an instance is found to have stopped heartbeating (its claims can now be taken):
   * the moment for subsystems to look for work it held. Never called in one process.
   */
  onInstanceLost(listener: (instanceId: string) => void): () => void;
  /**
   * Until when (a `performance.now()` time) a claim this instance asserted at `claimedAt` (the
   * `performance.now()` just before the claim statement was sent) certainly stays its own, so work
   * may skip asserting it again until then. Others take claims only from an instance whose last
   * heartbeat is older than the lease; this is the lease, less a margin, after the last heartbeat
   * known to have landed, provided the heartbeats have landed without a gap since the claim. After
   * a gap (a long pause, the store unreachable) claims asserted before it are not vouched for, even
   * once heartbeats land again: another instance may have taken them meanwhile. Infinity in one
   * process.
   */
  heldUntil(claimedAt: number): number;
}

/** Listeners by topic, for the messages between instances. */
export class Topics {
  readonly #listeners = new Map<string, Set<(message: unknown) => void>>();

  on(topic: string, listener: (message: unknown) => void): () => void {
    const set = this.#listeners.get(topic) ?? new Set();
    this.#listeners.set(topic, set);
    set.add(listener);
    return () => set.delete(listener);
  }

  /** A copy of the topic's listeners now (a listener may stop listening while called). */
  listeners(topic: string): Array<(message: unknown) => void> {
    return [...(this.#listeners.get(topic) ?? [])];
  }
}

/** One process owns its store alone: every claim is granted, every role led, messages stay local. */
export class LocalCluster implements Cluster {
  readonly instanceId: string;
  readonly shared = false;
  readonly leaseMs = 0;
  readonly #topics = new Topics();
  readonly #leaders = new Map<string, LeaderHandlers>();
  #started = false;

  constructor(instanceId: string) {
    this.instanceId = instanceId;
  }

  async start(): Promise<void> {
    this.#started = true;
    for (const handlers of this.#leaders.values()) handlers.gained();
  }

  async stop(): Promise<void> {
    this.#started = false;
  }

  async claim(keys: readonly string[]): Promise<string[]> {
    return [...keys];
  }

  async release(): Promise<void> {}

  lead(role: string, handlers: LeaderHandlers): () => void {
    this.#leaders.set(role, handlers);
    if (this.#started) handlers.gained();
    return () => {
      this.#leaders.delete(role);
    };
  }

  async send(topic: string, message: unknown): Promise<void> {
    // Delivered after the caller's current step, as a NOTIFY would be.
    const listeners = this.#topics.listeners(topic);
    queueMicrotask(() => {
      for (const listener of listeners) listener(message);
    });
  }

  on(topic: string, listener: (message: unknown) => void): () => void {
    return this.#topics.on(topic, listener);
  }

  onInstanceLost(): () => void {
    return () => {};
  }

  heldUntil(): number {
    return Number.POSITIVE_INFINITY;
  }
}
