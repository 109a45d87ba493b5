/** Codes the live stream (SSE, Socket.IO) throws. */
export const LIVE_ERROR_CODES = ['too_many_subscribers'] as const;

export type LiveErrorCode = (typeof LIVE_ERROR_CODES)[number];
