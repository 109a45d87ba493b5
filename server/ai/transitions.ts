import type { RelayContext } from '../context.ts';
import { finishOutput } from './output-items.ts';
import { type Response, type ResponseStatus, seconds } from './response-object.ts';
import type { ResponseRow, ResponseStore } from './response-store.ts';
import type { Run } from './run.ts';
import type { UsageStore } from './usage.ts';
import type { AiMetrics } from './metrics.ts';

interface TransitionDeps {
  ctx: RelayContext;
  store: ResponseStore;
  usage: UsageStore;
  metrics: AiMetrics;
  /** Called with the stored bus event of every terminal state (webhook_url deliveries). */
  onTerminal(row: ResponseRow, eventId: string): Promise<void>;
}

/**
 * The state changes of a response. Each one is stored, appended to the response's stream and
 * announced on the bus (source `ai`, OpenAI's webhook event shape), in that order.
 */
export function createTransitions(deps: TransitionDeps) {
  const { ctx, store } = deps;
  const now = () => ctx.clock.now();

  /** A state change as an event with OpenAI's webhook shape, stored and published with source `ai`. */
  async function announce(type: string, id: string): Promise<string> {
    const payload = { id: ctx.newId('evt'), object: 'event', type, created_at: seconds(now()), data: { id } };
    return (await ctx.eventService.emit({ source: 'ai', type, payload })).id;
  }

  async function setRow(run: Run, response: Response, patch: Partial<ResponseRow> = {}): Promise<void> {
    run.row = { ...run.row, ...patch, response };
    await store.put(run.row);
  }

  /** The in_progress event is numbered at once; its stored row and bus event follow (awaited before finish). */
  async function markInProgress(run: Run): Promise<void> {
    run.row = { ...run.row, started_ms: now(), response: { ...run.row.response, status: 'in_progress' } };
    run.live.emit({ type: 'response.in_progress', response: run.snapshot() });
    await Promise.all([store.put(run.row), announce('response.in_progress', run.row.id)]);
  }

  /**
   * The row, the terminal stream event and the usage totals are written together; the bus event only
   * after them, so whoever reacts to it finds the response finished. (A crash between the stream's
   * terminal event and the row is repaired at start-up from the stream: see recover().)
   */
  async function finish(run: Run, status: ResponseStatus, patch: Partial<Response> = {}): Promise<void> {
    if (status === 'completed' || status === 'incomplete') finishOutput(run, status);
    run.stopped = true;
    const response = run.snapshot({
      status,
      completed_at: status === 'completed' ? seconds(now()) : null,
      incomplete_details: status === 'incomplete' ? { reason: 'max_output_tokens' } : null,
      ...patch,
    });
    await Promise.all([
      setRow(run, response, { finished_ms: now() }),
      run.live.end({ type: `response.${status}`, response }),
      deps.usage.record(response.model, now(), status, response.usage, run.row.owner ?? null),
    ]);
    deps.metrics.finished.inc({ model: response.model, status });
    if (response.usage) {
      deps.metrics.tokens.inc({ model: response.model, kind: 'input' }, response.usage.input_tokens);
      deps.metrics.tokens.inc({ model: response.model, kind: 'output' }, response.usage.output_tokens);
    }
    const eventId = await announce(`response.${status}`, run.row.id);
    await deps
      .onTerminal(run.row, eventId)
      .catch((err: unknown) => ctx.logger.error({ err, response: run.row.id }, 'completion webhook failed'));
    await store
      .sealEvents(run.row.id)
      .catch((err: unknown) => ctx.logger.error({ err, response: run.row.id }, 'merging stream events failed'));
    run.settle(response);
  }

  return { announce, setRow, markInProgress, finish };
}
