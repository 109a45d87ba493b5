// The `batches:` config section (files and batches), resolved once with its defaults.

export interface BatchSettings {
  /** Largest upload accepted by POST /v1/files. */
  maxFileBytes: number;
  /** Most request lines in one batch input file. */
  maxLines: number;
  /** Lines of one batch handed to the AI queue at once (the queue applies per-upstream concurrency). */
  maxInFlight: number;
  /** At most one batch.progress event per batch per this interval. */
  progressIntervalMs: number;
  /** Tries per line when the upstream answers 429 or 5xx or cannot be reached. */
  lineAttempts: number;
  /** Wait before the second try; doubles per further try. */
  retryBackoffMs: number;
}

export const BATCH_DEFAULTS: BatchSettings = {
  maxFileBytes: 200 * 1024 * 1024,
  maxLines: 50_000,
  maxInFlight: 16,
  progressIntervalMs: 1000,
  lineAttempts: 3,
  retryBackoffMs: 1000,
};

export const batchesSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    maxFileBytes: { type: 'integer', minimum: 1024, maximum: 2 * 1024 * 1024 * 1024 },
    maxLines: { type: 'integer', minimum: 1, maximum: 1_000_000 },
    maxInFlight: { type: 'integer', minimum: 1, maximum: 1000 },
    progressIntervalMs: { type: 'integer', minimum: 10, maximum: 3_600_000 },
    lineAttempts: { type: 'integer', minimum: 1, maximum: 10 },
    retryBackoffMs: { type: 'integer', minimum: 1, maximum: 600_000 },
  },
};

export function batchSettings(sections: Record<string, unknown>): BatchSettings {
  return { ...BATCH_DEFAULTS, ...(sections.batches as Partial<BatchSettings> | undefined) };
}
