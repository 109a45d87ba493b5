/** Codes the keys API throws. */
export const KEY_ERROR_CODES = ['unknown_scope'] as const;

export type KeyErrorCode = (typeof KEY_ERROR_CODES)[number];
