import type { RelayContext } from '../context.ts';
import { RelayError } from '../errors.ts';
import type { AiConfig } from './config.ts';
import type { AiMetrics } from './metrics.ts';
import { callUpstream } from './execution.ts';
import { LiveResponse } from './live.ts';
import type { AiQueue } from './queue.ts';
import { chatOptions, inputMessages, withInstructions } from './chat-request.ts';
import { legacyChatOptions, turnsThrough } from './previous-response.ts';
import type { CreateParams } from './request.ts';
import { failureError, isTerminal, newResponse, type Response, usageOf } from './response-object.ts';
import type { ResponseRow, ResponseStore } from './response-store.ts';
import { classifyFailure } from './failure.ts';
import { DestinationRefusedError } from '../outbound/destination-policy.ts';
import { admit } from './admission.ts';
import { cancelStored, recoverUnfinished } from './recovery.ts';
import { createResponseClaims } from './response-claims.ts';
import { Run, storedSnapshot } from './run.ts';
import { createTransitions } from './transitions.ts';
import type { UpstreamRouter } from './upstreams.ts';
import type { UsageStore } from './usage.ts';

/** The `ai.responses` service (other subsystems and workflow steps use it). */
export interface ResponsesService {
  /** `id`: one reserved beforehand (an Idempotency-Key's); default a new one. `owner`: the creating key. */
  create(params: CreateParams, id?: string, owner?: string | null): Promise<Response>;
  /** The creating key of a stored response (null: admin or internal); undefined when there is none. */
  ownerOf(id: string): Promise<{ owner: string | null } | undefined>;
  retrieve(id: string): Promise<Response | undefined>;
  cancel(id: string): Promise<Response>;
  /** Cancels a non-background response whose caller went away. */
  abandon(id: string): Promise<void>;
  waitForTerminal(id: string, signal?: AbortSignal): Promise<Response>;
  remove(id: string): Promise<boolean>;
  live(id: string): LiveResponse | undefined;
  /**
   * Fails or re-queues what a previous process left unfinished, then (on a shared store) keeps taking
   * over what other instances leave unfinished.
   */
  recover(): Promise<void>;
  /** Stops every run without a terminal state (recovered on the next start, or by another instance). */
  shutdown(): Promise<void>;
}

interface Deps {
  ctx: RelayContext;
  config: AiConfig;
  store: ResponseStore;
  usage: UsageStore;
  queue: AiQueue;
  router: UpstreamRouter;
  metrics: AiMetrics;
  webhooksEnabled(): boolean;
  /**
   * Waits, while the response stays queued, for a running slot of its key (`ai_concurrent`);
   * resolves with the function that frees it, or null when the key has no such limit.
   */
  slotFor?(row: ResponseRow, signal: AbortSignal): Promise<(() => Promise<void>) | null>;
  /** Called with the stored bus event of every terminal state (webhook_url deliveries). */
  onTerminal(row: ResponseRow, eventId: string): Promise<void>;
}

/** webhook_url goes out through the relay's destination policy: refused now, not when the response ends. */
async function checkWebhookUrl(ctx: RelayContext, url: string): Promise<void> {
  try {
    await ctx.outbound.policy.check(url);
  } catch (error) {
    if (!(error instanceof DestinationRefusedError)) throw error;
    throw new RelayError('destination_refused', error.message, { param: 'webhook_url' });
  }
}

export function createResponsesService(deps: Deps): ResponsesService {
  const { ctx, config, store } = deps;
  const runs = new Map<string, Run>();
  let stopping = false;

  const now = () => ctx.clock.now();
  const logFailure = (id: string) => (err: unknown) => ctx.logger.error({ err, response: id }, 'storing a response event failed');
  const newRun = (row: ResponseRow) =>
    new Run(row, new LiveResponse(row.id, store, logFailure(row.id)), (prefix) => ctx.newId(prefix));

  const { announce, setRow, markInProgress, finish } = createTransitions(deps);
  const recoveryDeps = () => ({ store, newRun, runs, finish, setRow, detach, now, release: claims.release });
  const claims = createResponseClaims({
    ctx,
    store,
    runsHere: (id) => runs.has(id),
    cancelHere: (id) => void abortRun(runs.get(id) as Run),
    recover: (rows) => recoverUnfinished(rows, recoveryDeps()),
    cancelHeld: (row) => cancelStored(row, recoveryDeps()),
  });

  async function execute(run: Run): Promise<void> {
    runs.set(run.row.id, run);
    let timer: { clear(): void } | undefined;
    const { row } = run;
    let freeSlot: (() => Promise<void>) | null = null;
    try {
      freeSlot = (await deps.slotFor?.(row, run.controller.signal)) ?? null;
      const result = await deps.queue.run({
        model: row.response.model,
        priority: row.priority,
        signal: run.controller.signal,
        execute: async (client, _upstream, signal) => {
          const marked = markInProgress(run);
          timer = ctx.clock.setTimeout(() => {
            run.timedOut = true;
            run.controller.abort(new Error('timeout'));
          }, config.timeoutSeconds * 1000);
          try {
            return await callUpstream(client, run, callOptions(row), signal);
          } finally {
            await marked;
          }
        },
      });
      // No usage from the upstream: the response says so (null) rather than counting zeros.
      const usage = (result.usage ? usageOf(result.usage) : null) as Response['usage'];
      const reason =
        result.finishReason === 'length'
          ? 'max_output_tokens'
          : result.finishReason === 'content_filter'
            ? 'content_filter'
            : null;
      await finish(run, reason ? 'incomplete' : 'completed', reason ? { usage, incomplete_details: { reason } } : { usage });
    } catch (error) {
      await afterFailure(run, error);
    } finally {
      timer?.clear();
      await freeSlot?.().catch((err: unknown) => ctx.logger.error({ err, response: row.id }, 'freeing a key slot failed'));
      runs.delete(row.id);
      run.settle(run.row.response);
    }
    // Finished (row written): free. Stopped without an end: kept until shutdown hands it on.
    if (isTerminal(run.row.response.status)) await claims.release(row.id);
  }

  async function afterFailure(run: Run, error: unknown): Promise<void> {
    if (run.cancelRequested) return finish(run, 'cancelled');
    // Stopping: no terminal state; the next start fails or re-queues it (see recover()).
    if (stopping) return;
    if (run.timedOut) {
      return finish(run, 'failed', {
        error: failureError('timeout', `The response ran longer than ai.timeoutSeconds (${config.timeoutSeconds} s).`),
      });
    }
    const { reason, message } = classifyFailure(error);
    ctx.logger.warn({ err: error, response: run.row.id }, 'response failed');
    return finish(run, 'failed', { error: failureError(reason, message) });
  }

  const callOptions = (row: ResponseRow) => ({
    model: row.response.model,
    messages: row.messages,
    chat: row.chat ?? legacyChatOptions(row.response),
    maxToolCalls: row.response.max_tool_calls ?? null,
    maxAttempts: config.maxAttempts,
    backoffMs: config.backoffMs,
    clock: ctx.clock,
    onRetry: (attempt: number, err: unknown) => {
      deps.metrics.retries.inc();
      ctx.logger.info({ err, response: row.id, attempt }, 'retrying the upstream call');
    },
  });

  function detach(run: Run): void {
    execute(run).catch((err: unknown) => ctx.logger.error({ err, response: run.row.id }, 'a response run crashed'));
  }

  async function create(params: CreateParams, reservedId?: string, owner: string | null = null): Promise<Response> {
    if (stopping) throw new RelayError('store_unavailable', 'The relay is stopping; try again shortly.');
    admit(params, deps);
    if (params.webhook_url) await checkWebhookUrl(ctx, params.webhook_url);
    const earlier = params.previous_response_id ? await conversationBefore(params.previous_response_id) : [];
    const id = reservedId ?? ctx.newId('resp');
    // Claimed before its row exists: no other instance can take it for an orphan.
    await claims.claimNew(id);
    const row: ResponseRow = {
      id,
      response: newResponse(id, params, now()),
      messages: withInstructions(params.instructions, [...earlier, ...inputMessages(params.input)]),
      input_items: params.input,
      chat: chatOptions(params),
      webhook_url: params.webhook_url,
      priority: params.priority,
      created_ms: now(),
      started_ms: null,
      finished_ms: null,
      owner,
    };
    const run = newRun(row);
    // Known before its writes are done, so a cancel that comes meanwhile finds it.
    runs.set(id, run);
    run.live.emit({ type: 'response.created', response: run.snapshot() });
    run.live.emit({ type: 'response.queued', response: run.snapshot() });
    await Promise.all([store.put(row), announce('response.queued', id)]);
    detach(run);
    return run.snapshot();
  }

  async function conversationBefore(previousId: string) {
    return turnsThrough(previousId, await rowOf(previousId));
  }

  /**
   * The stored row; read from the store when this instance has not seen it yet (created on another
   * instance a moment ago: a client may use the id at once wherever its next request lands).
   */
  async function rowOf(id: string): Promise<ResponseRow | undefined> {
    if (!store.get(id) && !runs.has(id) && ctx.cluster.shared) await store.refresh(id);
    return store.get(id);
  }

  async function cancel(id: string): Promise<Response> {
    const row = await rowOf(id);
    if (!row) throw new RelayError('not_found', `No response with id "${id}".`);
    if (!row.response.background) {
      throw new RelayError('response_not_cancellable', 'Only background responses can be cancelled.');
    }
    if (isTerminal(row.response.status)) return row.response;
    const run = runs.get(id);
    return run ? abortRun(run) : claims.cancelElsewhere(id);
  }

  async function abortRun(run: Run): Promise<Response> {
    run.cancelRequested = true;
    run.stopped = true;
    run.controller.abort(new Error('cancelled'));
    return run.settled;
  }

  return {
    create,
    cancel,
    async ownerOf(id) {
      const row = runs.get(id)?.row ?? (await rowOf(id));
      return row ? { owner: row.owner ?? null } : undefined;
    },
    async abandon(id) {
      const run = runs.get(id);
      if (run) await abortRun(run);
    },
    async retrieve(id) {
      const run = runs.get(id);
      if (run) return run.snapshot();
      await rowOf(id);
      return storedSnapshot(store, id);
    },
    async waitForTerminal(id, signal) {
      const run = runs.get(id);
      if (!run) {
        const row = await rowOf(id);
        if (!row) throw new RelayError('not_found', `No response with id "${id}".`);
        // Running on another instance: its row here follows the holder's writes.
        const settled = await claims.whenRow(id, (r) => isTerminal(r.response.status), { signal });
        return settled?.response ?? row.response;
      }
      if (!signal) return run.settled;
      return Promise.race([
        run.settled,
        new Promise<Response>((resolve) => signal.addEventListener('abort', () => resolve(run.snapshot()), { once: true })),
      ]);
    },
    async remove(id) {
      const run = runs.get(id);
      if (run) {
        await abortRun(run);
        return store.delete(id);
      }
      const row = await rowOf(id);
      if (row && !isTerminal(row.response.status)) await claims.cancelElsewhere(id);
      // Deleted only once no instance works on it: a holder still finishing would write parts of it back.
      return claims.whileHeld(id, () => store.delete(id));
    },
    live: (id) => runs.get(id)?.live,
    recover: () => claims.start(),
    async shutdown() {
      stopping = true;
      await claims.halt();
      const pending = [...runs.values()];
      for (const run of pending) run.controller.abort(new Error('shutdown'));
      await Promise.all(pending.map((r) => r.settled));
      await claims.handOn(pending.filter((r) => !isTerminal(r.row.response.status)).map((r) => r.row.id));
    },
  };
}
