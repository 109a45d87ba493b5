import { ConfigError } from '../errors.ts';
import { destinationEntryProblem } from '../outbound/destination-policy.ts';

/** The `delivery` section of hookrelay.yaml, as written (every key optional). */
export const deliverySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    scheduleSeconds: { type: 'array', items: { type: 'number', minimum: 0 }, minItems: 1, maxItems: 50 },
    jitter: { type: 'number', minimum: 0, maximum: 0.5 },
    timeoutMs: { type: 'integer', minimum: 100, maximum: 300_000 },
    throttleMinDelaySeconds: { type: 'number', minimum: 0 },
    disableAfterHours: { type: 'number', exclusiveMinimum: 0 },
    concurrency: { type: 'integer', minimum: 1, maximum: 1000 },
    rateLimit: { type: 'number', exclusiveMinimum: 0 },
    responseBytes: { type: 'integer', minimum: 0, maximum: 65_536 },
    retentionDays: { type: 'number', exclusiveMinimum: 0 },
    maxFinishedDeliveries: { type: 'integer', minimum: 1000 },
    sweepIntervalSeconds: { type: 'number', minimum: 1 },
    recoverMaxDays: { type: 'number', exclusiveMinimum: 0 },
    destinations: {
      type: 'object',
      additionalProperties: false,
      properties: {
        allow: { type: 'array', items: { type: 'string', minLength: 1 } },
        deny: { type: 'array', items: { type: 'string', minLength: 1 } },
      },
    },
  },
};

export interface DeliverySettings {
  /** Delay before each attempt; the first is normally 0 (send at once). Its length is the attempt budget. */
  scheduleMs: number[];
  jitter: number;
  timeoutMs: number;
  /** Svix waits at least this long after a timeout or a 429 before the next attempt. */
  throttleMinDelayMs: number;
  disableAfterMs: number;
  concurrency: number;
  rateLimit: number | null;
  responseBytes: number;
  retentionMs: number;
  /** Finished deliveries kept at most (all of them live in memory); the oldest go first. */
  maxFinishedDeliveries: number;
  sweepIntervalMs: number;
  recoverMaxMs: number;
  destinations: { allow: string[]; deny: string[] };
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export const DELIVERY_DEFAULTS: DeliverySettings = {
  scheduleMs: [0, 5, 300, 1800, 7200, 18_000, 36_000, 36_000].map((s) => s * 1000),
  jitter: 0.2,
  timeoutMs: 15_000,
  throttleMinDelayMs: 60_000,
  disableAfterMs: 120 * HOUR,
  concurrency: 10,
  rateLimit: null,
  responseBytes: 4096,
  retentionMs: 14 * DAY,
  maxFinishedDeliveries: 500_000,
  sweepIntervalMs: 30_000,
  recoverMaxMs: 14 * DAY,
  destinations: { allow: [], deny: [] },
};

interface DeliverySection {
  scheduleSeconds?: number[];
  jitter?: number;
  timeoutMs?: number;
  throttleMinDelaySeconds?: number;
  disableAfterHours?: number;
  concurrency?: number;
  rateLimit?: number;
  responseBytes?: number;
  retentionDays?: number;
  maxFinishedDeliveries?: number;
  sweepIntervalSeconds?: number;
  recoverMaxDays?: number;
  destinations?: { allow?: string[]; deny?: string[] };
}

/** Applies defaults to the validated section once, at start-up. */
export function resolveDeliverySettings(section: unknown): DeliverySettings {
  const s = (section ?? {}) as DeliverySection;
  const d = DELIVERY_DEFAULTS;
  const seconds = (v: number | undefined, fallback: number) => (v === undefined ? fallback : v * 1000);
  if (s.scheduleSeconds && s.scheduleSeconds[0] > 3600) {
    throw new ConfigError(
      'delivery.scheduleSeconds',
      'the first attempt should not wait more than an hour; start the list with 0.',
    );
  }
  for (const list of ['allow', 'deny'] as const) {
    (s.destinations?.[list] ?? []).forEach((entry, i) => {
      const problem = destinationEntryProblem(entry);
      if (problem) throw new ConfigError(`delivery.destinations.${list}[${i}]`, problem);
    });
  }
  return {
    scheduleMs: s.scheduleSeconds ? s.scheduleSeconds.map((v) => v * 1000) : d.scheduleMs,
    jitter: s.jitter ?? d.jitter,
    timeoutMs: s.timeoutMs ?? d.timeoutMs,
    throttleMinDelayMs: seconds(s.throttleMinDelaySeconds, d.throttleMinDelayMs),
    disableAfterMs: s.disableAfterHours === undefined ? d.disableAfterMs : s.disableAfterHours * HOUR,
    concurrency: s.concurrency ?? d.concurrency,
    rateLimit: s.rateLimit ?? d.rateLimit,
    responseBytes: s.responseBytes ?? d.responseBytes,
    retentionMs: s.retentionDays === undefined ? d.retentionMs : s.retentionDays * DAY,
    maxFinishedDeliveries: s.maxFinishedDeliveries ?? d.maxFinishedDeliveries,
    sweepIntervalMs: seconds(s.sweepIntervalSeconds, d.sweepIntervalMs),
    recoverMaxMs: s.recoverMaxDays === undefined ? d.recoverMaxMs : s.recoverMaxDays * DAY,
    destinations: { allow: s.destinations?.allow ?? [], deny: s.destinations?.deny ?? [] },
  };
}
