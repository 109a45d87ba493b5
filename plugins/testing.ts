// A StepContext for testing a step plugin on its own (built-in or third-party): in-memory scratch and
// state, a movable clock, and recorded emits, sleeps and waits. Tests then call plugin.run(ctx, params).
import {
  type AwaitedEvent,
  type EventWait,
  fetchHttpClient,
  type HttpClient,
  type ReceivedCallback,
  type ServiceKey,
  type StepContext,
  type WorkflowCall,
} from './sdk.ts';

export interface TestContext extends StepContext {
  emitted: Array<{ type: string; payload: unknown }>;
  slept: number[];
  waits: EventWait[];
  /** The `until` of each waitForCallback, and each callWorkflow. */
  callbackWaits: number[];
  calls: WorkflowCall[];
  logged: Array<{ level: string; msg?: string; obj: unknown }>;
}

export interface TestContextOptions {
  now?: number;
  /** Also carries `ctx.http` unless `http` is given. */
  fetch?: typeof fetch;
  /** Default: an HttpClient over `fetch` (or the global fetch); pass the relay's own to test against it. */
  http?: HttpClient;
  /** What waitForEvent resolves with: candidate events offered to the wait's filter and match. */
  events?: AwaitedEvent[];
  /** Services by name (`delivery`, `ai.responses`, ...): what `ctx.services.get(key)` finds. */
  services?: Record<string, unknown>;
  step?: Partial<StepContext['step']>;
  run?: Partial<StepContext['run']>;
  /** What waitForCallback resolves with (default null: timed out). */
  callback?: ReceivedCallback | null;
  /** What callWorkflow resolves with (or rejects with, for an Error). */
  callResult?: (call: WorkflowCall) => unknown;
}

export function createTestContext(options: TestContextOptions = {}): TestContext {
  const now = options.now ?? Date.UTC(2026, 0, 1);
  const scratch = new Map<string, unknown>();
  const state = new Map<string, Record<string, unknown>>();
  const logged: TestContext['logged'] = [];
  const log = (level: string) => (obj: object | string, msg?: string) => void logged.push({ level, msg, obj });
  const ctx: TestContext = {
    emitted: [],
    slept: [],
    waits: [],
    callbackWaits: [],
    calls: [],
    logged,
    logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
    fetch: options.fetch ?? globalThis.fetch,
    http: options.http ?? fetchHttpClient(options.fetch ?? globalThis.fetch),
    signal: new AbortController().signal,
    clock: { now: () => now },
    scratch: { get: (key) => scratch.get(key), set: async (key, value) => void scratch.set(key, value) },
    state: {
      entries: (ns) => ({ ...state.get(ns) }),
      async put(ns, key, value) {
        const before = state.get(ns) ?? {};
        const changed = JSON.stringify(before[key]) !== JSON.stringify(value);
        const entries = { ...before, [key]: value };
        state.set(ns, entries);
        return { changed, entries };
      },
      clear: async (ns) => void state.delete(ns),
    },
    step: { id: 'step', attempt: 1, startedAt: now, ...options.step },
    run: {
      id: 'run_test',
      workflow: 'test',
      triggerEventId: 'evt_test',
      callbackUrl: 'http://127.0.0.1/callbacks/test',
      ...options.run,
    },
    async emit(event) {
      ctx.emitted.push(event);
      return { id: `evt_emitted_${ctx.emitted.length}` };
    },
    async sleepUntil(at) {
      ctx.slept.push(at);
    },
    async waitForEvent(wait) {
      ctx.waits.push(wait);
      for (const event of options.events ?? []) {
        if (Date.parse(event.received_at) < wait.since || Date.parse(event.received_at) > wait.until) continue;
        if (wait.source && wait.source !== event.source) continue;
        if (!wait.match || (await wait.match(event))) return event;
      }
      return null;
    },
    async waitForCallback(until) {
      ctx.callbackWaits.push(until);
      return options.callback ?? null;
    },
    async callWorkflow(call) {
      ctx.calls.push(call);
      const result = options.callResult?.(call) ?? null;
      if (result instanceof Error) throw result;
      return result;
    },
    services: { get: <T>(key: ServiceKey<T>) => options.services?.[key.name] as T | undefined },
  };
  return ctx;
}
