import type { RelayConfig } from '../config/types.ts';

/** The `stream` config section, with defaults applied (docs/live.md lists them). */
export interface StreamConfig {
  /** Comment keepalive interval for SSE; the contract promises at most 15 s. */
  keepaliveMs: number;
  /** The `retry:` hint EventSource clients use before reconnecting. */
  retryMs: number;
  /** Unsent bytes a subscriber may hold before it is cut off (it can resume by cursor). */
  maxBufferBytes: number;
  /** Open SSE streams plus Socket.IO connections. */
  maxSubscribers: number;
  /** Events read from the store per page while replaying a backlog. */
  replayPageSize: number;
  /** Live events held for one subscriber while its backlog replays; beyond this the replay reads them from the store. */
  maxPendingEvents: number;
  /** How long Socket.IO keeps a dropped connection's state for automatic recovery. */
  recoveryMs: number;
}

export const STREAM_DEFAULTS: StreamConfig = {
  keepaliveMs: 15_000,
  retryMs: 2_000,
  maxBufferBytes: 4_194_304,
  maxSubscribers: 10_000,
  replayPageSize: 500,
  maxPendingEvents: 10_000,
  recoveryMs: 120_000,
};

export const streamSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    keepaliveSeconds: { type: 'number', exclusiveMinimum: 0, maximum: 15 },
    retryMs: { type: 'integer', minimum: 0, maximum: 600_000 },
    maxBufferBytes: { type: 'integer', minimum: 1024, maximum: 1_073_741_824 },
    maxSubscribers: { type: 'integer', minimum: 1, maximum: 1_000_000 },
    recoverySeconds: { type: 'number', minimum: 0, maximum: 3600 },
  },
};

interface StreamSection {
  keepaliveSeconds?: number;
  retryMs?: number;
  maxBufferBytes?: number;
  maxSubscribers?: number;
  recoverySeconds?: number;
}

export function streamConfig(config: RelayConfig): StreamConfig {
  const section = (config.sections.stream ?? {}) as StreamSection;
  const d = STREAM_DEFAULTS;
  return {
    ...d,
    keepaliveMs: section.keepaliveSeconds !== undefined ? section.keepaliveSeconds * 1000 : d.keepaliveMs,
    retryMs: section.retryMs ?? d.retryMs,
    maxBufferBytes: section.maxBufferBytes ?? d.maxBufferBytes,
    maxSubscribers: section.maxSubscribers ?? d.maxSubscribers,
    recoveryMs: section.recoverySeconds !== undefined ? section.recoverySeconds * 1000 : d.recoveryMs,
  };
}
