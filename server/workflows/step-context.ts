import type {
  AwaitedEvent,
  EventWait,
  HttpClient,
  PluginLogger,
  Scratch,
  StepContext,
  WorkflowState,
} from '../../plugins/sdk.ts';
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
  return new AttemptContext(deps, run, step, signal);
}

// One is made per attempt of every step: a class keeps the methods on its prototype, and what most
// steps never touch (logger, scratch, state, ids) is built on first use.
class AttemptContext implements StepContext {
  readonly fetch: typeof fetch;
  readonly http: HttpClient;
  readonly signal: AbortSignal;
  readonly services: EngineDeps['services'];
  readonly #deps: EngineDeps;
  readonly #run: RunHandle;
  readonly #step: StepRecord;
  #emitted = 0;
  #logger: PluginLogger | null = null;
  #state: WorkflowState | null = null;

  constructor(deps: EngineDeps, run: RunHandle, step: StepRecord, signal: AbortSignal) {
    this.#deps = deps;
    this.#run = run;
    this.#step = step;
    this.fetch = deps.fetch;
    this.http = deps.http;
    this.signal = signal;
    this.services = deps.services;
  }

  get logger(): PluginLogger {
    const record = this.#run.record;
    this.#logger ??= this.#deps.logger.child({ run: record.id, workflow: record.workflow, step: this.#step.id });
    return this.#logger;
  }

  get clock(): StepContext['clock'] {
    const clock = this.#deps.clock;
    return { now: () => clock.now() };
  }

  get scratch(): Scratch {
    const run = this.#run;
    return {
      get: (key) => run.record.scratch?.[key],
      async set(key, value) {
        run.record.scratch = { ...run.record.scratch, [key]: value };
        await run.save();
      },
    };
  }

  get state(): WorkflowState {
    this.#state ??= this.#deps.state.forWorkflow(this.#run.record.workflow);
    return this.#state;
  }

  get step(): StepContext['step'] {
    const step = this.#step;
    return { id: step.id, attempt: step.attempts, startedAt: Date.parse(step.started_at ?? '') || this.#deps.clock.now() };
  }

  get run(): StepContext['run'] {
    const record = this.#run.record;
    return { id: record.id, workflow: record.workflow, triggerEventId: record.trigger_event_id };
  }

  async emit(event: { type: string; payload: unknown }): Promise<{ id: string }> {
    const record = this.#run.record;
    const depth = record.chain_depth + 1;
    const max = this.#deps.limits.maxChainDepth;
    if (depth > max) throw new Error(`emit: run chain is ${depth} deep, over workflows.maxChainDepth (${max})`);
    // The provider id makes a repeated step (after a crash) emit the same event once, not twice.
    const providerId = `${record.id}.${this.#step.id}.${this.#emitted++}`;
    const raw = Buffer.from(JSON.stringify(event.payload ?? null));
    const result = await this.#deps.events.record({
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
  }

  sleepUntil(at: number): Promise<void> {
    return this.#run.whileWaiting(this.#step, at, () => sleepUntil(this.#deps.clock, at, this.signal));
  }

  waitForEvent(wait: EventWait): Promise<AwaitedEvent | null> {
    const deps = this.#deps;
    return this.#run.whileWaiting(this.#step, wait.until, () =>
      waitForEvent({ clock: deps.clock, bus: deps.bus, store: deps.eventStore }, wait, this.signal),
    );
  }
}
