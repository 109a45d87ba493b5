import type { Request, Response } from 'express';
import type { RelayContext } from '../context.ts';
import { AI_RESPONSES, BATCHES } from '../../plugins/sdk.ts';
import { EVENT_DELIVERIES, EVENT_RUNS } from './annotations.ts';
import type { RelayEvent } from '../store/types.ts';

// What a stored event caused, gathered from the subsystems that keep it: the deliveries made for it
// (each subsystem indexes its rows by event id, so one request costs a lookup, not a scan), the workflow
// runs started on it, and the AI responses and batches it is about. A subsystem that is not running
// simply contributes nothing.

/** Deliveries and runs listed per event: the newest this many of each (`truncated` says when there were more). */
export const ACTIVITY_MAX = 500;

/**
 * The ids an event names: `data.id` of the relay's own AI events, `object_id` of enrichment events.
 * (The responses and batches its workflow runs made are added from the runs.)
 */
export function namedObjectIds(event: RelayEvent): string[] {
  const payload = event.payload as { data?: { id?: unknown }; object_id?: unknown } | null;
  const ids = [payload?.data?.id, payload?.object_id].filter((id): id is string => typeof id === 'string');
  return [...new Set(ids)];
}

async function responsesOf(ctx: RelayContext, ids: string[]) {
  const lookup = ctx.services.get(AI_RESPONSES);
  const out: Array<{ id: string; object: 'response'; status: string | null; model: string | null }> = [];
  for (const id of ids.filter((x) => x.startsWith('resp_'))) {
    const found = await lookup?.retrieve(id).catch(() => undefined);
    if (found) out.push({ id, object: 'response', status: found.status ?? null, model: found.model ?? null });
  }
  return out;
}

function batchesOf(ctx: RelayContext, ids: string[]) {
  const lookup = ctx.services.get(BATCHES);
  return ids
    .filter((id) => id.startsWith('batch_'))
    .map((id) => lookup?.get(id))
    .filter((b) => b !== undefined)
    .map((b) => ({ id: b.id, object: 'batch' as const, status: b.status ?? null }));
}

/** GET /v1/events/:id/activity (admin): the event's request facts and everything it caused. */
export function activityHandler(ctx: RelayContext, readable: (req: Request, res: Response) => Promise<RelayEvent>) {
  return async (req: Request, res: Response) => {
    const event = await readable(req, res);
    const raw = await ctx.storage.events.getRaw(event.id);
    const eventRuns = ctx.services.get(EVENT_RUNS);
    const ids = [...new Set([...namedObjectIds(event), ...(eventRuns?.objectIds(event.id) ?? [])])];
    const deliveries = ctx.services.get(EVENT_DELIVERIES)?.forEvent(event.id) ?? [];
    const runs = eventRuns?.forEvent(event.id) ?? [];
    // Internal events were emitted by the relay: no request came in.
    const internal = event.verified.scheme === 'internal';
    res.json({
      object: 'event.activity',
      event_id: event.id,
      request: {
        method: internal ? null : 'POST',
        path: internal ? null : `/hooks/${event.source}`,
        client_ip: raw?.client_ip ?? null,
        size: raw ? raw.raw.length : null,
        content_type: raw?.content_type ?? null,
        received_at: event.received_at,
        internal,
      },
      deliveries: deliveries.slice(-ACTIVITY_MAX),
      runs: runs.slice(-ACTIVITY_MAX),
      truncated: deliveries.length > ACTIVITY_MAX || runs.length > ACTIVITY_MAX,
      responses: await responsesOf(ctx, ids),
      batches: batchesOf(ctx, ids),
    });
  };
}
