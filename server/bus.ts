import type { RelayEvent } from './store/types.ts';

export type EventListener = (event: RelayEvent) => void;

export interface SubscribeOptions {
  /**
   * Also hear events that other relay instances stored in a shared store (PostgreSQL). Live fan-out
   * wants them; work that must happen once per event (deliveries, workflow runs) leaves this off and
   * reacts only to the events its own instance stored.
   */
  everyInstance?: boolean;
}

/**
 * In-process publication of stored events to live subscribers, delivery, workflows. Only events that
 * are already durable are published. A listener that throws is reported, never allowed to reach ingest.
 */
export interface EventBus {
  publish(event: RelayEvent): void;
  /** For an event another instance stored: reaches only the listeners that asked for every instance. */
  publishFromOtherInstance(event: RelayEvent): void;
  subscribe(listener: EventListener, options?: SubscribeOptions): () => void;
}

export function createEventBus(onListenerError: (error: unknown, event: RelayEvent) => void): EventBus {
  const local = new Set<EventListener>();
  const everyInstance = new Set<EventListener>();
  function call(listeners: Set<EventListener>, event: RelayEvent) {
    for (const listener of listeners) {
      try {
        listener(event);
      } catch (error) {
        onListenerError(error, event);
      }
    }
  }
  return {
    publish(event) {
      call(local, event);
      call(everyInstance, event);
    },
    publishFromOtherInstance(event) {
      call(everyInstance, event);
    },
    subscribe(listener, options = {}) {
      const listeners = options.everyInstance ? everyInstance : local;
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
