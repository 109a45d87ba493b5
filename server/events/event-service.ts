import type { EventBus } from '../bus.ts';
import type { AppendResult, EventStore, NewEvent, RelayEvent } from '../store/types.ts';

export interface InternalEvent {
  /** `workflow`, `ai`, `hookrelay`, ...: the producer inside the relay. */
  source: string;
  type: string;
  payload: unknown;
  /** De-duplication key within the source, if the producer has one. */
  providerId?: string | null;
}

/** The one way an event enters the relay: stored durably, then published. */
export interface EventService {
  record(input: NewEvent): Promise<AppendResult>;
  /** For events the relay makes itself (endpoint.disabled, workflow emit, AI state changes). */
  emit(event: InternalEvent): Promise<RelayEvent>;
}

export function createEventService(store: EventStore, bus: EventBus): EventService {
  async function record(input: NewEvent): Promise<AppendResult> {
    const result = await store.append(input);
    if (!result.duplicate) bus.publish(result.event);
    return result;
  }
  return {
    record,
    async emit({ source, type, payload, providerId = null }) {
      const raw = Buffer.from(JSON.stringify(payload));
      const result = await record({
        source,
        type,
        provider_id: providerId,
        headers: { 'content-type': 'application/json' },
        payload,
        verified: { scheme: 'internal' },
        raw,
        content_type: 'application/json',
      });
      return result.event;
    },
  };
}
