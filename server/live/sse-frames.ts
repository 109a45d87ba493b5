import type { RelayEvent } from '../store/types.ts';
import type { Gap } from './catch-up.ts';

// Server-sent event frames, encoded once: the same Buffer goes to every subscriber that matches.

export const KEEPALIVE = Buffer.from(': keepalive\n\n');

export function eventFrame(event: RelayEvent): Buffer {
  return Buffer.from(`id: ${event.id}\ndata: ${JSON.stringify(event)}\n\n`);
}

export function retryFrame(ms: number): Buffer {
  return Buffer.from(`retry: ${ms}\n\n`);
}

/** Sent before a replay whose cursor sorts before the oldest kept event: events in between may be gone. */
export function gapFrame(gap: Gap): Buffer {
  return Buffer.from(`event: gap\ndata: ${JSON.stringify(gap)}\n\n`);
}
