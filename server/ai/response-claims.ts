import { sleep } from '../clock.ts';
import { claimedWork } from '../cluster/claimed-work.ts';
import type { RelayContext } from '../context.ts';
import { RelayError } from '../errors.ts';
import { waitForRow } from '../store/wait-for-row.ts';
import { isTerminal, type Response } from './response-object.ts';
import type { ResponseRow, ResponseStore } from './response-store.ts';

/** How long a cancel or delete waits for the instance running the response to confirm. */
export const REMOTE_CANCEL_WAIT_MS = 10_000;
/** A cancel request is sent again this often while waiting (the holder may be picking the response up). */
const RESEND_MS = 1000;
const HOLD_POLL_MS = 50;
const NEVER = new AbortController().signal;
const CANCEL_TOPIC = 'ai.responses.cancel';

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

const unavailable = (id: string, what: string) =>
  new RelayError(
    'ai_instance_unavailable',
    `The relay instance holding response "${id}" did not ${what} within ${REMOTE_CANCEL_WAIT_MS / 1000} s; try again.`,
  );

/**
 * Responses across relay instances that share a store: each one is claimed (`resp:<id>`) by the
 * instance that creates it and runs there (see claimedWork for takeover); the others read its row and
 * stream through the store. A cancel for a response running elsewhere is sent to its holder, or
 * applied here when no live instance holds it.
 */
export function createResponseClaims(deps: ClaimDeps) {
  const { ctx, store } = deps;
  const unfinishedRow = (id: string) => {
    const row = store.get(id);
    return row && !isTerminal(row.response.status) ? row : undefined;
  };
  const work = claimedWork(ctx, {
    prefix: 'resp',
    unfinished: () => store.unfinished().map((r) => r.id),
    runsHere: deps.runsHere,
    refresh: async (id) => {
      await store.refresh(id);
      return unfinishedRow(id) !== undefined;
    },
    resume: (ids) => deps.recover(ids.map(unfinishedRow).filter((r): r is ResponseRow => r !== undefined)),
  });

  /** Waits until the row satisfies `done` (or is gone); rejects on timeout, resolves on abort. */
  function whenRow(
    id: string,
    done: (row: ResponseRow) => boolean,
    options: { timeoutMs?: number; signal?: AbortSignal; onTick?: () => void } = {},
  ): Promise<ResponseRow | undefined> {
    const { onTick, ...bounds } = options;
    return waitForRow({
      clock: ctx.clock,
      read: () => store.get(id),
      watch: (changed) => store.watch(id, changed),
      reached: (row) => !row || done(row),
      ...bounds,
      repeat: onTick && { everyMs: RESEND_MS, run: onTick },
    });
  }

  /** Cancels a background response that does not run here; resolves once its row shows a terminal state. */
  async function cancelElsewhere(id: string): Promise<Response> {
    // No live instance holds it (its holder died, or stopped): cancel it here.
    const cancelled = await work.serial(async () => {
      const [held] = await work.claimUnfinished([id]);
      const row = held ? unfinishedRow(held) : undefined;
      return row ? deps.cancelHeld(row) : undefined;
    });
    if (cancelled) return cancelled;
    const current = store.get(id);
    if (!current || isTerminal(current.response.status)) return current?.response ?? notFound(id);
    const send = () =>
      void ctx.cluster.send(CANCEL_TOPIC, { id }).catch((err: unknown) => ctx.logger.error({ err }, 'sending a cancel failed'));
    send();
    try {
      const row = await whenRow(id, (r) => isTerminal(r.response.status), { timeoutMs: REMOTE_CANCEL_WAIT_MS, onTick: send });
      return row?.response ?? notFound(id);
    } catch {
      throw unavailable(id, 'confirm the cancel');
    }
  }

  /** Runs `task` holding the response's claim, waiting (bounded) for its holder to finish with it. */
  async function whileHeld<T>(id: string, task: () => Promise<T>): Promise<T> {
    for (let waited = 0; ; waited += HOLD_POLL_MS) {
      const [granted] = await ctx.cluster.claim([work.key(id)]);
      if (granted) break;
      if (waited >= REMOTE_CANCEL_WAIT_MS) throw unavailable(id, 'let go of it');
      await sleep(ctx.clock, HOLD_POLL_MS, NEVER);
    }
    try {
      return await task();
    } finally {
      await work.release(id);
    }
  }

  return {
    cancelElsewhere,
    whenRow,
    whileHeld,
    claimNew: work.claimNew,
    release: work.release,
    /** Start-up: recover what was left unfinished, then (shared store) keep watching for work to take over. */
    async start(): Promise<void> {
      await work.start();
      work.on(CANCEL_TOPIC, (message) => {
        const id = (message as { id?: unknown }).id;
        if (typeof id === 'string' && deps.runsHere(id)) deps.cancelHere(id);
      });
    },
    halt: work.halt,
    handOn: work.handOn,
  };
}

function notFound(id: string): never {
  throw new RelayError('not_found', `No response with id "${id}".`);
}

export type ResponseClaims = ReturnType<typeof createResponseClaims>;
