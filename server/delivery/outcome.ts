import type { AttemptRequest, AttemptResult } from './attempt.ts';
import type { DeliverySettings } from './config.ts';
import { isSuccess, retryDelay } from './retry-policy.ts';
import { activeSecrets, signatureHeaders } from './signing.ts';
import { type AttemptRecord, type DeliveryRow, type EndpointRow, MAX_ATTEMPTS_KEPT } from './types.ts';

/** The signed request for one attempt of a delivery (fresh timestamp and signatures each time). */
export function buildRequest(
  row: DeliveryRow,
  endpoint: EndpointRow | undefined,
  body: { raw: Buffer; content_type: string },
  now: number,
): AttemptRequest {
  const secrets = endpoint ? activeSecrets(endpoint.secret, endpoint.previous_secrets, now) : [row.target?.secret ?? ''];
  return {
    url: endpoint?.url ?? row.target?.url ?? '',
    body: body.raw,
    headers: {
      ...endpoint?.headers,
      'content-type': body.content_type,
      'user-agent': 'hookrelay',
      ...signatureHeaders(row.event_id, body.raw, secrets, now),
      'x-hookrelay-source': row.source,
      'x-hookrelay-event-type': row.event_type,
      // The same event can come again in another delivery (a replay): receivers dedupe on webhook-id.
      'x-hookrelay-delivery-id': row.id,
      'x-hookrelay-attempt': String(row.attempt_count + 1),
    },
  };
}

/** An attempt that never reached the network (the event is gone, for instance). */
export function failure(error: string): AttemptResult {
  return { status: null, timedOut: false, retryAfterMs: null, latencyMs: 0, responseBody: '', error, control: null };
}

/** Why the receiver's answer disables its endpoint at once (410 Gone, `webhook-delivery: disable`), if it does. */
export function receiverDisableReason(result: AttemptResult): string | null {
  if (result.status === 410) return 'the receiver answered 410 Gone';
  if (result.control === 'disable') return 'the receiver asked to be disabled (webhook-delivery: disable)';
  return null;
}

/**
 * The delivery after an attempt: succeeded on 2xx; failed (dead) when the budget is spent, the attempt
 * was a manual one, or the receiver said stop; otherwise pending with the next due time.
 */
export function rowAfterAttempt(
  row: DeliveryRow,
  result: AttemptResult,
  at: { startedAt: number; now: number; settings: DeliverySettings; random?: () => number },
): DeliveryRow {
  const ok = isSuccess(result.status);
  const attemptsLeft = row.attempts_left - 1;
  const stop = receiverDisableReason(result) !== null || result.control === 'abort-message';
  const dead = !ok && (stop || attemptsLeft <= 0 || row.manual);
  const attempt: AttemptRecord = {
    at: at.startedAt,
    trigger: row.manual ? 'manual' : 'scheduled',
    status_code: result.status,
    latency_ms: result.latencyMs,
    response_body: result.responseBody,
    error: result.error,
  };
  const index = at.settings.scheduleMs.length - attemptsLeft;
  return {
    ...row,
    attempts: [...row.attempts, attempt].slice(-MAX_ATTEMPTS_KEPT),
    attempt_count: row.attempt_count + 1,
    attempts_left: Math.max(0, attemptsLeft),
    last_status_code: result.status,
    last_error: result.error,
    updated_at: at.now,
    status: ok ? 'succeeded' : dead ? 'failed' : 'pending',
    next_attempt_at: ok || dead ? null : at.now + retryDelay(at.settings, index, result, at.random),
    finished_at: ok || dead ? at.now : null,
  };
}
