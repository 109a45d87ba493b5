import type { AwaitedEvent, EventWait, PluginLogger, StepContext } from '../../plugins/sdk.ts';
import type { EngineDeps } from './engine-deps.ts';
import type { RunRecord, StepRecord } from './run-store.ts';
import { sleepUntil, waitForEvent } from './waits.ts';

/** What a running step can do to its run: save it, give up and take back its concurrency slot. */
export interface RunHandle {
  record: RunRecord;
  save(): Promise<void>;
  /** Releases the concurrency slot for the duration of `wait` and marks the run waiting meanwhile. */
  whileWaiting<T>(step: StepRecord, wakeAt: number, wait: () => Promise<T>): Promise<T>;
}

/** The plugin's view of the relay for one attempt of one step (see plugins/sdk.ts). */
export function stepContext(deps: EngineDeps, run: RunHandle, step: StepRecord, signal: AbortSignal): StepContext {
  const record = run.record;
  let emitted = 0;
  let logger: PluginLogger | null = null;
  return {
    // Made on first use: most steps never log, and a child logger per step is not free.
    get logger() {
      logger ??= deps.logger.child({ run: record.id, workflow: record.workflow, step: step.id });
      return logger;
    },
    fetch: deps.fetch,
    http: deps.http,
    signal,
    clock: { now: () => deps.clock.now() },
    scratch: {
      get: (key) => record.scratch?.[key],
      async set(key, value) {
        record.scratch = { ...record.scratch, [key]: value };
        await run.save();
      },
    },
    state: deps.state.forWorkflow(record.workflow),
    step: { id: step.id, attempt: step.attempts, startedAt: Date.parse(step.started_at ?? '') || deps.clock.now() },
    run: { id: record.id, workflow: record.workflow, triggerEventId: record.trigger_event_id },
    async emit(event) {
      const depth = record.chain_depth + 1;
      if (depth > deps.limits.maxChainDepth) {
        throw new Error(`emit: run chain is ${depth} deep, over workflows.maxChainDepth (${deps.limits.maxChainDepth})`);
      }
      // The provider id makes a repeated step (after a crash) emit the same event once, not twice.
      const providerId = `${record.id}.${step.id}.${emitted++}`;
      const raw = Buffer.from(JSON.stringify(event.payload ?? null));
      const result = await deps.events.record({
        source: 'workflow',
        type: event.type,
        provider_id: providerId,
        headers: { 'content-type': 'application/json', 'x-hookrelay-run': record.id, 'x-hookrelay-chain-depth': String(depth) },
        payload: event.payload ?? null,
        verified: { scheme: 'internal' },
        raw,
        content_type: 'application/json',
      });
      return { id: result.event.id };
    },
    sleepUntil: (at) => run.whileWaiting(step, at, () => sleepUntil(deps.clock, at, signal)),
    waitForEvent: (wait: EventWait): Promise<AwaitedEvent | null> =>
      run.whileWaiting(step, wait.until, () =>
        waitForEvent({ clock: deps.clock, bus: deps.bus, store: deps.eventStore }, wait, signal),
      ),
    services: deps.services,
  };
}
