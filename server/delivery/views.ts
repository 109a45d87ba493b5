import type { DeliveryStore } from './delivery-store.ts';
import type { DeliveryRow, EndpointRow } from './types.ts';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** Success rate and last error over an endpoint's most recent finished deliveries. */
export function endpointHealth(store: DeliveryStore, endpoint: EndpointRow) {
  const recent = store.listForEndpoint(endpoint.id, { limit: 200 });
  const finished = recent.filter((d) => d.status !== 'pending');
  const succeeded = finished.filter((d) => d.status === 'succeeded').length;
  const lastFailure = recent.find((d) => d.last_error !== null && d.status !== 'succeeded');
  return {
    success_rate: finished.length === 0 ? null : succeeded / finished.length,
    sample: finished.length,
    pending: recent.length - finished.length,
    last_error: lastFailure?.last_error ?? endpoint.last_error,
    last_error_at: iso(lastFailure?.updated_at ?? null),
    failing_since: iso(endpoint.failing_since),
  };
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
