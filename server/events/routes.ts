import type { Request, Response } from 'express';
import type { RelayContext } from '../context.ts';
import type { HttpMount } from '../http/mount.ts';
import { RelayError } from '../errors.ts';
import type { EventPage, EventQuery, EventStore, RelayEvent } from '../store/types.ts';
import { principalOf } from '../http/auth.ts';
import { canReadSource, type Principal } from '../principals.ts';
import { booleanParam, limitParam, optionalString } from '../http/query.ts';
import { sendUntrusted } from '../http/security-headers.ts';
import { activityHandler } from './activity.ts';
import { EVENT_ANNOTATIONS } from './annotations.ts';
import { eventWriteRoute } from './write-route.ts';
import { configSourceLookup, SOURCES } from '../sources/registry.ts';

/** GET /v1/events, /v1/events/:id, /v1/events/:id/raw, /v1/events/:id/activity, POST /v1/events, /v1/rejections. */
export function eventRoutes(http: HttpMount, ctx: RelayContext): void {
  const store = ctx.storage.events;
  async function readable(req: Request, res: Response) {
    const event = await store.get(String(req.params.id));
    if (!event || !canReadSource(principalOf(res), event.source)) {
      throw new RelayError('not_found', `No event with id "${req.params.id}".`);
    }
    return event;
  }
  const { v1, auth } = http;
  v1.get('/events', auth.reader, async (req, res) => {
    const principal = principalOf(res);
    const source = optionalString(req, 'source');
    if (source && !canReadSource(principal, source)) {
      throw new RelayError('forbidden', `This token may not read source "${source}".`);
    }
    const limit = limitParam(req, 100, 1000);
    const tail = booleanParam(req, 'tail');
    const query = { source, type: optionalString(req, 'type'), after: optionalString(req, 'after'), limit, tail };
    if (principal.sources === null || source) {
      res.json({ object: 'list', ...(await store.list(query)) });
      return;
    }
    res.json({ object: 'list', ...(await listForScopedToken(store, query, principal)) });
  });
  v1.get('/events/:id', auth.reader, async (req, res) => {
    const event = await readable(req, res);
    const extra = await ctx.services.get(EVENT_ANNOTATIONS)?.annotate(event);
    res.json(extra ? { ...event, ...extra } : event);
  });
  v1.get('/events/:id/raw', auth.reader, async (req, res) => {
    const event = await readable(req, res);
    const raw = await store.getRaw(event.id);
    if (!raw) throw new RelayError('not_found', `No raw body kept for "${event.id}".`);
    // The sender chose these bytes and their type: on the console's origin they must stay inert.
    sendUntrusted(res, raw.content_type, raw.raw, `${event.id}.raw`);
  });
  // Sources from the config file and those made through /v1/sources, looked up as ingest does.
  const sources = ctx.services.get(SOURCES) ?? configSourceLookup(ctx.config.sources);
  eventWriteRoute(http, ctx, (name) => sources.verifier(name) !== undefined);
  v1.get('/events/:id/activity', auth.admin, activityHandler(ctx, readable));
  v1.get('/rejections', auth.require('sources'), async (req, res) => {
    const data = await store.listRejections({ source: optionalString(req, 'source'), limit: limitParam(req, 100, 1000) });
    res.json({ object: 'list', data });
  });
}

/**
 * A token scoped to some sources: page through (oldest first) and keep only what it may see. For `tail`
 * it keeps a sliding window of the newest `limit + 1` (the extra one says whether older ones exist).
 */
async function listForScopedToken(store: EventStore, query: EventQuery, principal: Principal): Promise<EventPage> {
  const { limit, tail } = query;
  const data: RelayEvent[] = [];
  let after = query.after;
  let hasMore = true;
  while ((tail || data.length < limit) && hasMore) {
    const page = await store.list({ ...query, tail: false, after, limit });
    data.push(...page.data.filter((e) => canReadSource(principal, e.source)));
    if (tail && data.length > limit + 1) data.splice(0, data.length - limit - 1);
    hasMore = page.has_more;
    after = page.last_id ?? after;
  }
  const kept = tail ? data.slice(-limit) : data.slice(0, limit);
  return { data: kept, has_more: hasMore || data.length > limit, last_id: kept.at(-1)?.id ?? null };
}
