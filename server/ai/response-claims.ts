import { sleep } from '../clock.ts';
import type { RelayContext } from '../context.ts';
import { defineErrorCodes, HttpError } from '../errors.ts';
import { isTerminal, type Response } from './response-object.ts';
import type { ResponseRow, ResponseStore } from './response-store.ts';

defineErrorCodes({ ai_instance_unavailable: 503 });

/** How long a cancel or delete waits for the instance running the response to confirm. */
export const REMOTE_CANCEL_WAIT_MS = 10_000;
/** A cancel request is sent again this often while waiting (the holder may be picking the response up). */
const RESEND_MS = 1000;
const HOLD_POLL_MS = 50;
const NEVER = new AbortController().signal;

const CANCEL_TOPIC = 'ai.responses.cancel';
/** Sent by an instance that stopped with responses unfinished: the others take them over at once. */
const RELEASED_TOPIC = 'ai.responses.released';

export const claimKey = (id: string) => `resp:${id}`;

interface ClaimDeps {
  ctx: RelayContext;
  store: ResponseStore;
  /** Is the response running in this process? */
  runsHere(id: string): boolean;
  /** Stops a response running here as cancelled (a cancel from another instance). */
  cancelHere(id: string): void;
  /** Applies the restart rule to rows this instance now holds (see recoverUnfinished). */
  recover(rows: ResponseRow[]): Promise<void>;
  /** Writes `cancelled` for a response nobody runs any more, which this instance now holds. */
  cancelHeld(row: ResponseRow): Promise<Response>;
}

/**
 * Responses across relay instances that share a store: each response is claimed (`resp:<id>`) by the
 * instance that creates it and runs there; the others tail its row and stream through the store.
 * Work a dead or stopped instance held is taken over on `onInstanceLost`, on a message from an
 * instance that stopped, and on a sweep every lease; a cancel for a response running elsewhere is
 * sent to its holder, or applied here when no live instance holds it. In one process every claim is
 * granted and this reduces to the start-up recovery.
 */
export function createResponseClaims(deps: ClaimDeps) {
  const { ctx, store } = deps;
  let chain: Promise<void> = Promise.resolve();
  let stopped = false;
  let sweepTimer: { clear(): void } | undefined;
  const stops: Array<() => void> = [];
  const logError = (msg: string) => (err: unknown) => ctx.logger.error({ err }, msg);

  /** Claims, refreshes and re-checks; resolves with the rows now held here that are still unfinished. */
  async function claimUnfinished(ids: readonly string[]): Promise<ResponseRow[]> {
    if (ids.length === 0) return [];
    const granted = (await ctx.cluster.claim(ids.map(claimKey))).map((key) => key.slice('resp:'.length));
    const rows: ResponseRow[] = [];
    for (const id of granted) {
      if (deps.runsHere(id)) continue;
      await store.refresh(id);
      const row = store.get(id);
      if (row && !isTerminal(row.response.status)) rows.push(row);
      else await ctx.cluster.release([claimKey(id)]);
    }
    return rows;
  }

  /** One takeover at a time: the triggers (lost instance, message, sweep) may come together. */
  function serial<T>(work: () => Promise<T>): Promise<T> {
    const result = chain.then(work);
    chain = result.then(
      () => {},
      () => {},
    );
    return result;
  }

  function takeOver(): Promise<void> {
    return serial(async () => {
      if (stopped) return;
      const ids = store
        .unfinished()
        .map((r) => r.id)
        .filter((id) => !deps.runsHere(id));
      const rows = await claimUnfinished(ids);
      if (rows.length > 0) ctx.logger.info({ responses: rows.map((r) => r.id) }, 'taking over unfinished responses');
      await deps.recover(rows);
    });
  }

  function scheduleSweep(): void {
    sweepTimer = ctx.clock.setTimeout(() => {
      takeOver()
        .catch(logError('taking over responses failed'))
        .finally(() => {
          if (!stopped) scheduleSweep();
        });
    }, ctx.cluster.leaseMs);
  }

  /** Waits until the row satisfies `done` (or is gone); rejects on timeout, resolves undefined on abort. */
  function whenRow(
    id: string,
    done: (row: ResponseRow) => boolean,
    options: { timeoutMs?: number; signal?: AbortSignal; onTick?: () => void } = {},
  ): Promise<ResponseRow | undefined> {
    return new Promise((resolve, reject) => {
      const timers: Array<{ clear(): void }> = [];
      const finish = (settle: () => void) => {
        unwatch();
        for (const t of timers) t.clear();
        options.signal?.removeEventListener('abort', onAbort);
        settle();
      };
      const check = () => {
        const row = store.get(id);
        if (!row || done(row)) finish(() => resolve(row));
      };
      const onAbort = () => finish(() => resolve(store.get(id)));
      const unwatch = store.watch(id, check);
      options.signal?.addEventListener('abort', onAbort, { once: true });
      if (options.timeoutMs !== undefined) {
        timers.push(ctx.clock.setTimeout(() => finish(() => reject(new Error('timeout'))), options.timeoutMs));
      }
      const tick = () => {
        options.onTick?.();
        timers.push(ctx.clock.setTimeout(tick, RESEND_MS));
      };
      if (options.onTick) timers.push(ctx.clock.setTimeout(tick, RESEND_MS));
      check();
    });
  }

  /** Cancels a background response that does not run here; resolves once its row shows a terminal state. */
  async function cancelElsewhere(id: string): Promise<Response> {
    // No live instance holds it (its holder died, or stopped): cancel it here.
    const cancelled = await serial(async () => {
      const [row] = await claimUnfinished([id]);
      return row ? deps.cancelHeld(row) : undefined;
    });
    if (cancelled) return cancelled;
    const current = store.get(id);
    if (!current || isTerminal(current.response.status)) return current?.response ?? notFound(id);
    const send = () => void ctx.cluster.send(CANCEL_TOPIC, { id }).catch(logError('sending a cancel failed'));
    send();
    try {
      const row = await whenRow(id, (r) => isTerminal(r.response.status), { timeoutMs: REMOTE_CANCEL_WAIT_MS, onTick: send });
      return row?.response ?? notFound(id);
    } catch {
      throw new HttpError(
        'ai_instance_unavailable',
        `The relay instance running response "${id}" did not confirm the cancel within ${REMOTE_CANCEL_WAIT_MS / 1000} s; try again.`,
      );
    }
  }

  /** Runs `work` holding the response's claim, waiting (bounded) for its holder to finish with it. */
  async function whileHeld<T>(id: string, work: () => Promise<T>): Promise<T> {
    for (let waited = 0; ; waited += HOLD_POLL_MS) {
      const [granted] = await ctx.cluster.claim([claimKey(id)]);
      if (granted) break;
      if (waited >= REMOTE_CANCEL_WAIT_MS) {
        throw new HttpError(
          'ai_instance_unavailable',
          `The relay instance holding response "${id}" did not let go of it within ${REMOTE_CANCEL_WAIT_MS / 1000} s; try again.`,
        );
      }
      await sleep(ctx.clock, HOLD_POLL_MS, NEVER);
    }
    try {
      return await work();
    } finally {
      await ctx.cluster.release([claimKey(id)]).catch(logError('releasing a response failed'));
    }
  }

  return {
    takeOver,
    whileHeld,
    cancelElsewhere,
    whenRow,
    /** Claims a new response before its row is written. */
    async claimNew(id: string): Promise<void> {
      const [granted] = await ctx.cluster.claim([claimKey(id)]);
      if (!granted) throw new HttpError('store_unavailable', 'The response could not be claimed; try again.', 503);
    },
    /** Gives up a finished response's claim (a failure only delays others' takeover sweeps: logged). */
    release: (id: string) => ctx.cluster.release([claimKey(id)]).catch(logError('releasing a response failed')),
    /** Start-up: recover what was left unfinished, then (shared store) keep watching for work to take over. */
    async start(): Promise<void> {
      await takeOver();
      if (!ctx.cluster.shared) return;
      stops.push(
        ctx.cluster.on(CANCEL_TOPIC, (message) => {
          const id = (message as { id?: unknown }).id;
          if (typeof id === 'string' && deps.runsHere(id)) deps.cancelHere(id);
        }),
        ctx.cluster.on(RELEASED_TOPIC, () => void takeOver().catch(logError('taking over responses failed'))),
        ctx.cluster.onInstanceLost(() => void takeOver().catch(logError('taking over responses failed'))),
      );
      scheduleSweep();
    },
    /** Stops taking over (before the runs here are stopped). */
    async halt(): Promise<void> {
      stopped = true;
      sweepTimer?.clear();
      for (const stop of stops.splice(0)) stop();
      await chain;
    },
    /** Hands on responses that stopped here without a terminal state: another instance takes them now. */
    async handOn(interrupted: readonly string[]): Promise<void> {
      if (!ctx.cluster.shared || interrupted.length === 0) return;
      await ctx.cluster.release(interrupted.map(claimKey));
      await ctx.cluster.send(RELEASED_TOPIC, {}).catch(logError('announcing released responses failed'));
    },
  };
}

function notFound(id: string): never {
  throw new HttpError('not_found', `No response with id "${id}".`);
}

export type ResponseClaims = ReturnType<typeof createResponseClaims>;
