import type { DeliveryStore } from './delivery-store.ts';
import type { AttemptRecord, DeliveryRow, EndpointRow } from './types.ts';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** Attempts shown per endpoint for its chart, and the bytes of a response body shown with the last error. */
export const HEALTH_ATTEMPTS = 100;
const ERROR_BODY_CHARS = 300;

/**
 * Health over an endpoint's most recent 200 deliveries: the success rate of finished deliveries, and of
 * attempts (a delivery still retrying has failed attempts, so a failing endpoint never reads "n/a"), the
 * last error with its status code and the start of the response body, and the newest attempts for a chart.
 */
export function endpointHealth(store: DeliveryStore, endpoint: EndpointRow) {
  const recent = store.listForEndpoint(endpoint.id, { limit: 200 });
  const finished = recent.filter((d) => d.status !== 'pending');
  const succeeded = finished.filter((d) => d.status === 'succeeded').length;
  const lastFailure = recent.find((d) => d.last_error !== null && d.status !== 'succeeded');
  const attempts = recent.flatMap((d) => d.attempts).sort((a, b) => a.at - b.at);
  const good = attempts.filter(attemptSucceeded).length;
  const failedAttempt = lastFailure?.attempts.at(-1);
  return {
    success_rate: finished.length === 0 ? null : succeeded / finished.length,
    sample: finished.length,
    pending: recent.length - finished.length,
    attempt_success_rate: attempts.length === 0 ? null : good / attempts.length,
    attempt_sample: attempts.length,
    last_error: lastFailure?.last_error ?? endpoint.last_error,
    last_error_at: iso(lastFailure?.updated_at ?? null),
    last_status_code: failedAttempt?.status_code ?? null,
    last_response_body: failedAttempt?.response_body ? failedAttempt.response_body.slice(0, ERROR_BODY_CHARS) : null,
    failing_since: iso(endpoint.failing_since),
    recent_attempts: attempts.slice(-HEALTH_ATTEMPTS).map((a) => ({
      at: iso(a.at),
      ok: attemptSucceeded(a),
      status_code: a.status_code,
      latency_ms: a.latency_ms,
    })),
  };
}

function attemptSucceeded(a: AttemptRecord): boolean {
  return a.error === null && a.status_code !== null && a.status_code >= 200 && a.status_code < 300;
}

/** An endpoint as the API shows it: never the secret (that has its own route). */
export function endpointView(endpoint: EndpointRow, store?: DeliveryStore) {
  const { secret: _secret, previous_secrets, failing_since: _f, last_error: _l, ...rest } = endpoint;
  return {
    object: 'endpoint',
    ...rest,
    created_at: iso(endpoint.created_at),
    updated_at: iso(endpoint.updated_at),
    disabled_at: iso(endpoint.disabled_at),
    rotating_secrets: previous_secrets.length,
    ...(store ? { health: endpointHealth(store, endpoint) } : {}),
  };
}

export function deliveryView(row: DeliveryRow, sending: boolean) {
  const { target, attempts, manual: _m, ...rest } = row;
  return {
    object: 'delivery',
    ...rest,
    url: target?.url ?? null,
    sending,
    next_attempt_at: iso(row.next_attempt_at),
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
    finished_at: iso(row.finished_at),
    attempts: attempts.map((a) => ({ ...a, at: iso(a.at) })),
  };
}
