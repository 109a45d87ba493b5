import { serviceKey } from '../../plugins/sdk.ts';
import type { RelayEvent } from '../store/types.ts';

/**
 * Extra fields another subsystem keeps about a stored event (e.g. `enrichment`, the object an OpenAI
 * webhook names), shown by GET /v1/events/:id. Events stay immutable; annotations live beside them.
 * Provided as the service `events.annotations`.
 */
export interface EventAnnotations {
  annotate(event: RelayEvent): Promise<Record<string, unknown> | undefined>;
}

export const EVENT_ANNOTATIONS = serviceKey<EventAnnotations>('events.annotations');
