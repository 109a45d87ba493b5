import type { RelayEvent } from './store/types.ts';

export type EventListener = (event: RelayEvent) => void;

/**
 * In-process publication of stored events to live subscribers, delivery, workflows. Only events that
 * are already durable are published. A listener that throws is reported, never allowed to reach ingest.
 */
export interface EventBus {
  publish(event: RelayEvent): void;
  subscribe(listener: EventListener): () => void;
}

export function createEventBus(onListenerError: (error: unknown, event: RelayEvent) => void): EventBus {
  const listeners = new Set<EventListener>();
  return {
    publish(event) {
      for (const listener of listeners) {
        try {
          listener(event);
        } catch (error) {
          onListenerError(error, event);
        }
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
