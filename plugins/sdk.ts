// The step plugin SDK: the one module a step plugin imports. It holds types and two helpers only, so a
// plugin depends on nothing else inside the relay and the engine can change behind it.

/** Plugins declare the API version they were written for; the relay refuses other versions at start-up. */
export const API_VERSION = 1;

export interface PluginLogger {
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
}

/** Key-value scratch space shared by the steps of one run, persisted with the run. Values must be JSON. */
export interface Scratch {
  get(key: string): unknown;
  set(key: string, value: unknown): Promise<void>;
}

/** Persistent key-value state shared by every run of one workflow (e.g. to aggregate across runs). */
export interface WorkflowState {
  /** Sets one key and returns every entry of the namespace after the change. */
  put(namespace: string, key: string, value: unknown): Promise<{ changed: boolean; entries: Record<string, unknown> }>;
  entries(namespace: string): Record<string, unknown>;
  clear(namespace: string): Promise<void>;
}

export interface AwaitedEvent {
  id: string;
  source: string;
  type: string;
  received_at: string;
  payload: unknown;
  headers: Record<string, string>;
}

export interface EventWait {
  source?: string;
  /** Exact type or a prefix glob such as `job.*`. */
  type?: string | string[];
  /** Called for each candidate event; resolve true to take it. */
  match?(event: AwaitedEvent): Promise<boolean>;
  /** Also consider events received at or after this time (ms): the lookback window. */
  since: number;
  /** Give up at this time (ms) and resolve null. */
  until: number;
}

/** What a `wait.callback` step receives: the POST made to the run's callback URL. */
export interface ReceivedCallback {
  /** JSON bodies parsed; other bodies as text. */
  body: unknown;
  /** Lower-case names; `authorization` and `cookie` are not kept. */
  headers: Record<string, string>;
  received_at: string;
}

/** A sub-workflow started by a step (`workflow.call`): it sees `input` in scope. */
export interface WorkflowCall {
  workflow: string;
  input?: unknown;
}

/** A `with` field the plugin lists in `deferred`: compiled at load, evaluated by the plugin on demand. */
export type DeferredExpression = (extra?: Record<string, unknown>) => Promise<unknown>;

/** One HTTP exchange for `ctx.http.send`: the body is read whole, up to `maxBodyBytes`. */
export interface HttpRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  signal?: AbortSignal;
  /** Bytes of the response body kept; the rest is not read. Default 1,000,000. */
  maxBodyBytes?: number;
}

export interface HttpResponse {
  status: number;
  /** Lower-case names; repeated headers joined with `, `. */
  headers: Record<string, string>;
  /** The body as UTF-8 text, cut at `maxBodyBytes`. */
  body: string;
  /** True when the body was longer than `maxBodyBytes`. */
  truncated: boolean;
}

/** A buffered HTTP client: lighter than fetch for a request whose whole answer is wanted at once. */
export interface HttpClient {
  /** Redirects are returned, not followed; any status resolves, a network failure rejects. */
  send(request: HttpRequest): Promise<HttpResponse>;
}

export interface StepContext {
  logger: PluginLogger;
  /** fetch with the relay's destination policy applied. */
  fetch: typeof fetch;
  /** The same policy as `fetch`, for a request whose whole (bounded) answer is wanted: less CPU per request. */
  http: HttpClient;
  /** Aborted on cancellation of the run and on the step's timeout. */
  signal: AbortSignal;
  clock: { now(): number };
  scratch: Scratch;
  state: WorkflowState;
  /** The step being run: `startedAt` is when its first attempt started and stays the same after a restart. */
  step: { id: string; attempt: number; startedAt: number };
  /** `callbackUrl`: the run's callback URL for its next `wait.callback` step (see docs/workflows.md). */
  run: { id: string; workflow: string; triggerEventId: string | null; callbackUrl: string };
  /** Publishes an event with source `workflow` (bounded by the configured chain depth). */
  emit(event: { type: string; payload: unknown }): Promise<{ id: string }>;
  /** Durable sleep: the run shows as waiting, holds no concurrency slot and resumes on time after a restart. */
  sleepUntil(at: number): Promise<void>;
  /** Durable wait for an event from the event store and the bus; null when `until` passes first. */
  waitForEvent(wait: EventWait): Promise<AwaitedEvent | null>;
  /**
   * Durable wait for a POST to `run.callbackUrl` (this step's callback URL): the run shows as waiting
   * and holds no concurrency slot; null when `until` passes first.
   */
  waitForCallback(until: number): Promise<ReceivedCallback | null>;
  /**
   * Starts a workflow as a child of this run and resolves with its output once it succeeds; rejects with
   * its error when it fails. Made once per step (a restart waits for the same child); bounded by
   * `workflows.maxChainDepth`; cancelling this run cancels the child.
   */
  callWorkflow(call: WorkflowCall): Promise<unknown>;
  /** Named services other parts of the relay offer (e.g. `delivery`); declare the shape you need. */
  services: { get<T>(name: string): T | undefined };
}

/** A registered symbol, so plugins that bundle their own copy of this module still end runs. */
export const END_RUN = Symbol.for('hookrelay.endRun');

/** Returned by a step to end the run early with a final status (`filter` ends runs as filtered). */
export interface EndRun {
  readonly [END_RUN]: 'filtered' | 'succeeded';
  readonly output: unknown;
}

export function endRun(status: 'filtered' | 'succeeded', output: unknown = null): EndRun {
  return { [END_RUN]: status, output };
}

export function isEndRun(value: unknown): value is EndRun {
  return typeof value === 'object' && value !== null && END_RUN in value;
}

export interface StepPlugin<P = Record<string, unknown>> {
  /** Used as `uses:` in workflows; lower case, dots allowed (`http.request`). */
  name: string;
  version: string;
  apiVersion: number;
  description?: string;
  /** JSON Schema (draft-04 to 07 subset that jsonschema supports) for `with`, checked at load. */
  schema: Record<string, unknown>;
  /** `with` fields holding raw JSONata that the plugin evaluates itself (e.g. wait.event's `match`). */
  deferred?: string[];
  /** false: the step cannot have `foreach` (checked at load; `wait.callback` is one). */
  foreach?: boolean;
  run(ctx: StepContext, params: P): Promise<unknown>;
}

/** Identity with types: `export default definePlugin({...})`. */
export function definePlugin<P>(plugin: StepPlugin<P>): StepPlugin<P> {
  return plugin;
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

/** `500ms`, `30s`, `5m`, `2h`, `1d`, or a number of milliseconds; null when it is not a duration. */
export function parseDuration(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : null;
  if (typeof value !== 'string') return null;
  const found = DURATION.exec(value.trim());
  if (!found) return null;
  return Math.round(Number(found[1]) * UNITS[found[2]]);
}

/** Use in a `with` schema for a duration field; checked at load like every other field. */
export const durationSchema = {
  anyOf: [
    { type: 'string', pattern: '^\\d+(\\.\\d+)?(ms|s|m|h|d)$' },
    { type: 'number', minimum: 0 },
  ],
};
