// Rows the delivery engine keeps. Times are epoch milliseconds internally; the API shows ISO strings.

export interface EndpointFilter {
  /** Source names; null or empty = every source. */
  sources: string[] | null;
  /** Type globs (`invoice.*`, `*`); null or empty = every type. */
  types: string[] | null;
}

export interface RetiredSecret {
  secret: string;
  /** Signs alongside the current secret until then. */
  expires_at: number;
}

export interface EndpointRow {
  id: string;
  url: string;
  description: string;
  filter: EndpointFilter;
  headers: Record<string, string>;
  enabled: boolean;
  /** Paused: deliveries stay pending (nothing is sent, no attempt is used) until resumed. */
  paused: boolean;
  /** Client-chosen, unique among endpoints: lets a client find (adopt) the endpoint it made. */
  uid: string | null;
  /** Client data kept with the endpoint (a JSON object, at most ENDPOINT_METADATA_BYTES serialised). */
  metadata: Record<string, unknown>;
  disabled_reason: string | null;
  disabled_at: number | null;
  /** In-flight limit; null = the configured default. */
  concurrency: number | null;
  /** Attempts per second; null = the configured default (unlimited unless set). */
  rate_limit: number | null;
  /** One delivery in flight at a time, in event order; a failing head blocks the ones behind it. */
  ordered: boolean;
  secret: string;
  previous_secrets: RetiredSecret[];
  created_at: number;
  updated_at: number;
  /** Start of the current run of failures (null after a success): drives automatic disabling. */
  failing_since: number | null;
  last_error: string | null;
}

export type DeliveryStatus = 'pending' | 'succeeded' | 'failed';

/** Why a delivery exists: a matching event, a replay, an engine client (workflow, AI webhook_url). */
export type DeliveryOrigin = 'event' | 'replay' | 'url' | 'endpoint';

export interface AttemptRecord {
  at: number;
  trigger: 'scheduled' | 'manual';
  status_code: number | null;
  latency_ms: number;
  /** The first bytes of the response body (delivery.responseBytes, 4 KB by default). */
  response_body: string;
  error: string | null;
}

export interface DeliveryRow {
  id: string;
  endpoint_id: string | null;
  /** For deliveries to a bare URL (enqueueForUrl): where and with which secret. */
  target: { url: string; secret: string } | null;
  event_id: string;
  source: string;
  event_type: string;
  origin: DeliveryOrigin;
  status: DeliveryStatus;
  /** Attempts still allowed; the schedule index of the next attempt is scheduleMs.length - attempts_left. */
  attempts_left: number;
  /** True while the remaining attempt was asked for by a person (retry, recover): no schedule after it. */
  manual: boolean;
  next_attempt_at: number | null;
  attempt_count: number;
  attempts: AttemptRecord[];
  last_status_code: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
}

/** Attempts kept per delivery (the oldest are dropped; attempt_count keeps counting). */
export const MAX_ATTEMPTS_KEPT = 30;

/** Endpoints stored before `paused`, `uid` and `metadata` existed read as unpaused, without uid or metadata. */
export function withEndpointDefaults(row: EndpointRow): EndpointRow {
  if (row.paused !== undefined && row.uid !== undefined && row.metadata !== undefined) return row;
  return { ...row, paused: row.paused ?? false, uid: row.uid ?? null, metadata: row.metadata ?? {} };
}
