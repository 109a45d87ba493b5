// The step plugin SDK: the one module a step plugin imports. It holds types, the typed keys of the
// services a plugin may use, and a few functions, so a plugin depends on nothing else inside the relay and
// the engine can change behind it.
import type { Readable } from 'node:stream';
import type OpenAI from 'openai';
import type { Response as AiResponse } from 'openai/resources/responses/responses';

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

/** `maxBodyBytes` when a request does not say. */
export const DEFAULT_MAX_BODY_BYTES = 1_000_000;

/**
 * An HttpClient over a fetch (one injected into the relay, or a test's); the relay's own client is built
 * on undici with the same contract.
 */
export function fetchHttpClient(fetchImpl: typeof fetch): HttpClient {
  return {
    async send(req) {
      const res = await fetchImpl(req.url, {
        method: req.method,
        headers: req.headers,
        body: req.body as BodyInit | undefined,
        signal: req.signal,
        redirect: 'manual',
      });
      const headers: Record<string, string> = {};
      for (const [name, value] of res.headers)
        headers[name] = Object.hasOwn(headers, name) ? `${headers[name]}, ${value}` : value;
      const { text, truncated } = await readPrefix(res, req.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES);
      return { status: res.status, headers, body: text, truncated };
    },
  };
}

async function readPrefix(res: Response, limit: number): Promise<{ text: string; truncated: boolean }> {
  if (!res.body) return { text: '', truncated: false };
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let truncated = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (size + value.byteLength > limit) {
      chunks.push(value.subarray(0, limit - size));
      size = limit;
      truncated = true;
      await reader.cancel().catch(() => {});
      break;
    }
    chunks.push(value);
    size += value.byteLength;
  }
  return { text: Buffer.concat(chunks, size).toString('utf8'), truncated };
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
  /** Services other parts of the relay offer, by the typed keys below (`DELIVERY`, `AI_RESPONSES`, ...). */
  services: { get<T>(key: ServiceKey<T>): T | undefined };
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

/**
 * The name of a service one part of the relay provides and others use, with its type: a provider must
 * give a T and a user gets a T, so renaming a service or changing its type breaks the build, not a run.
 */
export interface ServiceKey<T> {
  readonly name: string;
  /** Never set: it only carries T (as a function type, so that keys of different types do not mix). */
  readonly type?: (value: T) => T;
}

export function serviceKey<T>(name: string): ServiceKey<T> {
  return { name };
}

/** Service `delivery`: signed deliveries with retries (docs/delivery.md). */
export interface DeliveryService {
  enqueueForEndpoint(endpointId: string, eventId: string): Promise<{ id: string }>;
  enqueueForUrl(input: { url: string; secret: string; eventId: string }): Promise<{ id: string }>;
}
export const DELIVERY = serviceKey<DeliveryService>('delivery');

/** Service `ai.responses`: this relay's background-mode Responses API (docs/ai.md). */
export interface ResponsesService {
  /** Always in background mode; the same idempotency key gives the same response. */
  create(params: Record<string, unknown>, opts?: { idempotencyKey?: string }): Promise<AiResponse>;
  retrieve(id: string): Promise<AiResponse | undefined>;
  cancel(id: string): Promise<unknown>;
  waitForTerminal(id: string, signal?: AbortSignal): Promise<AiResponse>;
}
export const AI_RESPONSES = serviceKey<ResponsesService>('ai.responses');

/** Service `ai.upstreams`: the openai client of each configured upstream, by name. */
export interface UpstreamClients {
  client(name: string): OpenAI | undefined;
}
export const AI_UPSTREAMS = serviceKey<UpstreamClients>('ai.upstreams');

/** OpenAI's File object, with the key that owns it (not part of OpenAI's object). */
export interface StoredFile {
  id: string;
  object: 'file';
  bytes: number;
  created_at: number;
  filename: string;
  purpose: 'batch' | 'batch_output';
  status: 'processed';
  expires_at: number | null;
  /** The key that uploaded it, or whose batch wrote it (null: admin token). */
  owner?: string | null;
}

/** Service `files`: the files this relay keeps (uploads and batch outputs). */
export interface FilesService {
  get(id: string): StoredFile | undefined;
  /** As get, reading the store when this instance has not seen the file yet. */
  find(id: string): Promise<StoredFile | undefined>;
  readAll(id: string): Promise<Buffer>;
  create(input: {
    filename: string;
    purpose: StoredFile['purpose'];
    bytes: Buffer | Readable;
    owner?: string | null;
  }): Promise<StoredFile>;
}
export const FILES = serviceKey<FilesService>('files');

/** A batch as GET /v1/batches/:id shows it: the fields steps read (the rest is OpenAI's Batch object). */
export interface BatchSummary {
  id: string;
  status: string;
  output_file_id: string | null;
  error_file_id: string | null;
}

/** Service `batches`: read a batch run by this relay. */
export interface BatchesService {
  get(id: string): BatchSummary | undefined;
}
export const BATCHES = serviceKey<BatchesService>('batches');
