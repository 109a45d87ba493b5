/** Codes the sources API throws. */
export const SOURCE_ERROR_CODES = ['source_exists', 'source_read_only'] as const;

export type SourceErrorCode = (typeof SOURCE_ERROR_CODES)[number];
