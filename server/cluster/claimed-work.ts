import type { RelayContext } from '../context.ts';
import { RelayError } from '../errors.ts';

export interface ClaimedWorkOptions {
  /** Claim keys are `<prefix>:<id>`; also names the messages (`<prefix>.released`) and the logs. */
  prefix: string;
  /** Ids of the items the store shows unfinished (this instance's view, which may lag a little). */
  unfinished(): string[];
  /** Is the item running in this process? */
  runsHere(id: string): boolean;
  /** Re-reads a claimed item as stored now; resolves true when it is still unfinished. */
  refresh(id: string): Promise<boolean>;
  /** Runs (or settles) items this instance now holds, with the logic a restart uses. */
  resume(ids: string[]): Promise<void>;
}

/**
 * Work items claimed across relay instances that share a store (CLUSTER pattern): an item is claimed
 * (`<prefix>:<id>`) by the instance that creates it, before its row is written, and released once its
 * final row is. What a dead or stopped instance held is taken over on `onInstanceLost`, on the message
 * an instance sends when it stops with items unfinished, and on a sweep every lease: claimed, re-read,
 * re-checked, then resumed. One takeover runs at a time. In one process every claim is granted and
 * this is the start-up recovery.
 */
export function claimedWork(ctx: RelayContext, options: ClaimedWorkOptions) {
  const { prefix } = options;
  const key = (id: string) => `${prefix}:${id}`;
  const releasedTopic = `${prefix}.released`;
  let chain: Promise<unknown> = Promise.resolve();
  let stopped = false;
  let sweepTimer: { clear(): void } | undefined;
  const stops: Array<() => void> = [];
  const logError = (msg: string) => (err: unknown) => ctx.logger.error({ err, work: prefix }, msg);

  function serial<T>(work: () => Promise<T>): Promise<T> {
    const result = chain.then(work);
    chain = result.catch(() => {});
    return result;
  }

  /** Claims, re-reads and re-checks; resolves with the ids now held here that are still unfinished. */
  async function claimUnfinished(ids: readonly string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const granted = (await ctx.cluster.claim(ids.map(key))).map((k) => k.slice(prefix.length + 1));
    const held: string[] = [];
    for (const id of granted) {
      if (options.runsHere(id)) continue;
      if (await options.refresh(id)) held.push(id);
      else await ctx.cluster.release([key(id)]);
    }
    return held;
  }

  function takeOver(): Promise<void> {
    return serial(async () => {
      if (stopped) return;
      const held = await claimUnfinished(options.unfinished().filter((id) => !options.runsHere(id)));
      if (held.length > 0) ctx.logger.info({ work: prefix, ids: held }, 'taking over unfinished work');
      await options.resume(held);
    });
  }
  const takeOverLogged = () => void takeOver().catch(logError('taking over unfinished work failed'));

  function scheduleSweep(): void {
    sweepTimer = ctx.clock.setTimeout(() => {
      takeOver()
        .catch(logError('taking over unfinished work failed'))
        .finally(() => {
          if (!stopped) scheduleSweep();
        });
    }, ctx.cluster.leaseMs);
  }

  return {
    key,
    serial,
    claimUnfinished,
    takeOver,
    /** Claims a new item before its row is written. */
    async claimNew(id: string): Promise<void> {
      const [granted] = await ctx.cluster.claim([key(id)]);
      if (!granted) throw new RelayError('store_unavailable', `${id} could not be claimed; try again.`);
    },
    /** Gives up a finished item's claim (a failure only delays others' takeover: logged). */
    release: (id: string): Promise<void> => ctx.cluster.release([key(id)]).catch(logError('releasing a claim failed')),
    /** Start-up: resumes what was left unfinished, then (shared store) watches for work to take over. */
    async start(): Promise<void> {
      await takeOver();
      if (!ctx.cluster.shared) return;
      stops.push(ctx.cluster.on(releasedTopic, takeOverLogged), ctx.cluster.onInstanceLost(takeOverLogged));
      scheduleSweep();
    },
    /** Listens for a message while started (stopped by halt()). */
    on(topic: string, listener: (message: unknown) => void): void {
      if (ctx.cluster.shared) stops.push(ctx.cluster.on(topic, listener));
    },
    /** Stops taking over (before the items running here are stopped). */
    async halt(): Promise<void> {
      stopped = true;
      sweepTimer?.clear();
      for (const stop of stops.splice(0)) stop();
      await chain;
    },
    /** Hands on items that stopped here unfinished: the other instances take them over at once. */
    async handOn(ids: readonly string[]): Promise<void> {
      if (!ctx.cluster.shared || ids.length === 0) return;
      await ctx.cluster.release(ids.map(key));
      await ctx.cluster.send(releasedTopic, {}).catch(logError('announcing released work failed'));
    },
  };
}

export type ClaimedWork = ReturnType<typeof claimedWork>;
