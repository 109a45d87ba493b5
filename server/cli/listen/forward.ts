import { setTimeout as sleep } from 'node:timers/promises';
import { signHeaders } from '../../ingest/signers.ts';
import type { RelayEvent } from '../../store/types.ts';

/** Not sent on: set by the connection to the receiver, or describing the hop into the relay. */
const DROPPED =
  /^(host|content-length|connection|keep-alive|transfer-encoding|te|trailer|upgrade|expect|accept-encoding|proxy-.*|x-forwarded-.*)$/;
const STANDARD_WEBHOOKS = /^(webhook|svix)-(id|timestamp|signature)$/;

export const FIRST_RETRY_MS = 500;
export const MAX_RETRY_WAIT_MS = 10_000;

export interface ForwardSettings {
  relay: string;
  token: string;
  forwardTo: string;
  /** Re-sign as Standard Webhooks with this secret instead of passing the provider's signature on. */
  resign: string | null;
  /** Retry a failed forward (with backoff) for at most this long; 0 = one attempt. */
  retryForMs: number;
  /** Per attempt. */
  timeoutMs: number;
  signal: AbortSignal;
}

export interface Attempt {
  attempt: number;
  status: number | null;
  error: string | null;
  ms: number;
  /** Milliseconds until the next attempt; null when this was the last one. */
  retryInMs: number | null;
}

export type Outcome =
  | { kind: 'delivered'; last: Attempt }
  | { kind: 'gave-up'; last: Attempt }
  /** The event left the store before it could be read (retention). */
  | { kind: 'gone' }
  /** Stopped (Ctrl-C) before the event was delivered: it is forwarded again on the next start. */
  | { kind: 'interrupted' };

/** The original body bytes and content type, as the provider sent them. */
async function rawBody(
  event: RelayEvent,
  settings: ForwardSettings,
): Promise<{ body: Buffer<ArrayBuffer>; type: string } | null> {
  const res = await fetch(new URL(`/v1/events/${event.id}/raw`, settings.relay), {
    headers: { authorization: `Bearer ${settings.token}` },
    signal: settings.signal,
  });
  if (res.status === 404) return null;
  if (!res.ok) throw new Error(`the relay answered ${res.status} for the body of ${event.id}`);
  return { body: Buffer.from(await res.arrayBuffer()), type: res.headers.get('content-type') ?? 'application/octet-stream' };
}

/** The provider's headers (signature included), or re-signed ones with --resign, plus the relay's event id. */
export function forwardHeaders(
  event: RelayEvent,
  body: Buffer,
  contentType: string,
  resign: string | null,
): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers)) {
    if (DROPPED.test(name) || (resign && STANDARD_WEBHOOKS.test(name))) continue;
    headers[name] = value;
  }
  headers['content-type'] = event.headers['content-type'] ?? contentType;
  if (resign) {
    Object.assign(
      headers,
      signHeaders({ verify: { scheme: 'standard-webhooks' }, secret: resign, body, id: event.provider_id ?? event.id }),
    );
  }
  headers['x-hookrelay-event-id'] = event.id;
  return headers;
}

async function attempt(
  body: Buffer<ArrayBuffer>,
  headers: Record<string, string>,
  settings: ForwardSettings,
  n: number,
): Promise<Attempt> {
  const started = performance.now();
  try {
    const signal = AbortSignal.any([settings.signal, AbortSignal.timeout(settings.timeoutMs)]);
    const res = await fetch(settings.forwardTo, { method: 'POST', headers, body, redirect: 'manual', signal });
    await res.body?.cancel();
    return { attempt: n, status: res.status, error: null, ms: performance.now() - started, retryInMs: null };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    const why = cause ?? ((error as Error).name === 'TimeoutError' ? 'timeout' : (error as Error).message);
    return { attempt: n, status: null, error: why, ms: performance.now() - started, retryInMs: null };
  }
}

/**
 * Forwards one event to the local receiver with its original body bytes; a non-2xx answer or a
 * network error is retried with doubling waits (0.5 s, 1 s, 2 s ... at most 10 s) until `retryForMs`
 * has passed since the first attempt, so one failing event holds later ones back for at most that long.
 */
export async function forwardEvent(
  event: RelayEvent,
  settings: ForwardSettings,
  onAttempt: (a: Attempt) => void,
): Promise<Outcome> {
  const raw = await rawBody(event, settings);
  if (!raw) return { kind: 'gone' };
  const headers = forwardHeaders(event, raw.body, raw.type, settings.resign);
  const started = Date.now();
  let wait = FIRST_RETRY_MS;
  for (let n = 1; ; n++) {
    if (settings.signal.aborted) return { kind: 'interrupted' };
    const result = await attempt(raw.body, headers, settings, n);
    if (result.status !== null && result.status >= 200 && result.status < 300) return { kind: 'delivered', last: result };
    if (settings.signal.aborted) return { kind: 'interrupted' };
    const last = Date.now() - started + wait > settings.retryForMs;
    if (!last) result.retryInMs = wait;
    onAttempt(result);
    if (last) return { kind: 'gave-up', last: result };
    const waited = await sleep(wait, true, { signal: settings.signal }).catch(() => false);
    if (!waited) return { kind: 'interrupted' };
    wait = Math.min(MAX_RETRY_WAIT_MS, wait * 2);
  }
}
