/** Codes webhook ingest throws (`source_not_found` also for events written through the API). */
export const INGEST_ERROR_CODES = [
  'signature_missing',
  'signature_invalid',
  'timestamp_out_of_tolerance',
  'source_not_found',
] as const;

export type IngestErrorCode = (typeof INGEST_ERROR_CODES)[number];
