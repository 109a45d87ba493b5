import type { EventService } from '../events/event-service.ts';
import type { BatchRecord } from './types.ts';

export type TerminalType = 'batch.completed' | 'batch.failed' | 'batch.expired' | 'batch.cancelled';

/**
 * Events about batches, on source `ai`. Terminal ones have OpenAI's webhook shape ({id, object: "event",
 * created_at, type, data: {id}}) and are de-duplicated per batch and type, so finishing a batch again
 * after a crash does not announce it twice. `batch.progress` adds status and request_counts to data.
 */
export function batchEvents(events: EventService, newId: (prefix: string) => string, now: () => number) {
  const envelope = (type: string, data: Record<string, unknown>) => ({
    id: newId('evt'),
    object: 'event',
    created_at: Math.floor(now() / 1000),
    type,
    data,
  });
  return {
    progress(batch: BatchRecord) {
      const data = { id: batch.id, status: batch.status, request_counts: batch.request_counts };
      return events.emit({ source: 'ai', type: 'batch.progress', payload: envelope('batch.progress', data) });
    },
    terminal(batch: BatchRecord, type: TerminalType) {
      return events.emit({ source: 'ai', type, payload: envelope(type, { id: batch.id }), providerId: `${batch.id}:${type}` });
    },
  };
}

export type BatchEvents = ReturnType<typeof batchEvents>;
