import type {
  AwaitedEvent,
  ReceivedCallback,
  WorkflowCall,
  EventWait,
  HttpClient,
  PluginLogger,
  Scratch,
  StepContext,
  WorkflowState,
} from '../../plugins/sdk.ts';
import type { EngineDeps } from './engine-deps.ts';
import type { StepRecord } from './run-store.ts';
import type { AttemptTarget, RunHandle } from './active-run.ts';
import { sleepUntil, waitForEvent } from './waits.ts';

/** The plugin's view of the relay for one attempt of one step (see plugins/sdk.ts). */
export function stepContext(deps: EngineDeps, run: RunHandle, target: AttemptTarget, signal: AbortSignal): StepContext {
  return new AttemptContext(deps, run, target, signal);
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
  readonly #target: AttemptTarget;
  readonly #step: StepRecord;
  #emitted = 0;
  #logger: PluginLogger | null = null;
  #state: WorkflowState | null = null;

  constructor(deps: EngineDeps, run: RunHandle, target: AttemptTarget, signal: AbortSignal) {
    this.#deps = deps;
    this.#run = run;
    this.#target = target;
    this.#step = target.step;
    this.fetch = deps.fetch;
    this.http = deps.http;
    this.signal = signal;
    this.services = deps.services;
  }

  get logger(): PluginLogger {
    const record = this.#run.record;
    this.#logger ??= redactingLogger(
      this.#deps.logger.child({ run: record.id, workflow: record.workflow, step: this.#target.key }),
      this.#deps.redact,
    );
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
      set: async (key, value) => {
        run.record.scratch = { ...run.record.scratch, [key]: this.#deps.redact(value) };
        await run.save();
      },
    };
  }

  get state(): WorkflowState {
    if (!this.#state) {
      const state = this.#deps.state.forWorkflow(this.#run.record.workflow);
      const redact = this.#deps.redact;
      // Stored values never hold a secret either.
      this.#state = {
        put: (namespace, key, value) => state.put(namespace, key, redact(value)),
        entries: (namespace) => state.entries(namespace),
        clear: (namespace) => state.clear(namespace),
      };
    }
    return this.#state;
  }

  get step(): StepContext['step'] {
    const step = this.#target.record;
    return { id: this.#step.id, attempt: step.attempts, startedAt: Date.parse(step.started_at ?? '') || this.#deps.clock.now() };
  }

  get run(): StepContext['run'] {
    const record = this.#run.record;
    return {
      id: record.id,
      workflow: record.workflow,
      triggerEventId: record.trigger_event_id,
      callbackUrl: this.#deps.callbacks.url(record, this.#step.id),
    };
  }

  async emit(event: { type: string; payload: unknown }): Promise<{ id: string }> {
    const record = this.#run.record;
    const depth = record.chain_depth + 1;
    const max = this.#deps.limits.maxChainDepth;
    if (depth > max) throw new Error(`emit: run chain is ${depth} deep, over workflows.maxChainDepth (${max})`);
    // The provider id makes a repeated step (after a crash) emit the same event once, not twice.
    const providerId = `${record.id}.${this.#target.key}.${this.#emitted++}`;
    const payload = this.#deps.redact(event.payload ?? null);
    const raw = Buffer.from(JSON.stringify(payload));
    const result = await this.#deps.eventService.record({
      source: 'workflow',
      type: event.type,
      provider_id: providerId,
      headers: { 'content-type': 'application/json', 'x-hookrelay-run': record.id, 'x-hookrelay-chain-depth': String(depth) },
      payload,
      verified: { scheme: 'internal' },
      raw,
      content_type: 'application/json',
    });
    return { id: result.event.id };
  }

  sleepUntil(at: number): Promise<void> {
    return this.#run.whileWaiting(this.#target.record, at, () => sleepUntil(this.#deps.clock, at, this.signal));
  }

  waitForEvent(wait: EventWait): Promise<AwaitedEvent | null> {
    const deps = this.#deps;
    return this.#run.whileWaiting(this.#target.record, wait.until, () =>
      waitForEvent({ clock: deps.clock, bus: deps.bus, store: deps.eventStore }, wait, this.signal),
    );
  }

  async waitForCallback(until: number): Promise<ReceivedCallback | null> {
    const { callbacks } = this.#deps;
    const record = this.#run.record;
    const step = this.#step;
    step.callback_url = callbacks.url(record, step.id);
    step.waiting = true;
    try {
      // Saved with the URL before waiting: the console shows the URL, and a restart waits on the same one.
      return await this.#run.whileWaiting(this.#target.record, until, () => callbacks.wait(record, step.id, until, this.signal));
    } finally {
      step.waiting = false;
    }
  }

  callWorkflow(call: WorkflowCall): Promise<unknown> {
    return this.#deps.children.call(this.#run, this.#target, call, this.signal);
  }
}

function redactingLogger(logger: PluginLogger, redact: <T>(value: T) => T): PluginLogger {
  const wrap =
    (level: keyof PluginLogger) =>
    (obj: object | string, msg?: string): void =>
      msg === undefined ? logger[level](redact(obj)) : logger[level](redact(obj), redact(msg));
  return { debug: wrap('debug'), info: wrap('info'), warn: wrap('warn'), error: wrap('error') };
}
