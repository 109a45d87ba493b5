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

// What GET /v1/events/:id/activity lists (events/activity.ts), from the subsystems that keep it: each
// indexes its rows by event id, so one request costs a lookup, not a scan.

/** Provided by delivery: every delivery of an event, as GET /v1/deliveries/:id shows it, plus the endpoint's URL. */
export interface EventDeliveries {
  forEvent(eventId: string): unknown[];
}
export const EVENT_DELIVERIES = serviceKey<EventDeliveries>('events.deliveries');

/** Provided by workflows: the runs started on an event (summaries, as GET /v1/runs lists them). */
export interface EventRuns {
  forEvent(eventId: string): unknown[];
  /** Ids of objects those runs' steps made or read (a step output's `id`: `resp_…`, `batch_…`). */
  objectIds(eventId: string): string[];
}
export const EVENT_RUNS = serviceKey<EventRuns>('events.runs');
