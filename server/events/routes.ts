import type { Request, Response } from 'express';
import type { Routers, RelayContext, Subsystem } from '../context.ts';
import { HttpError } from '../errors.ts';
import { canReadSource, principalOf } from '../http/auth.ts';
import { limitParam, optionalString } from '../http/query.ts';

/** GET /v1/events, /v1/events/:id, /v1/events/:id/raw, /v1/rejections. */
export function eventsApi(ctx: RelayContext): Subsystem {
  const store = ctx.storage.events;
  async function readable(req: Request, res: Response) {
    const event = await store.get(String(req.params.id));
    if (!event || !canReadSource(principalOf(res), event.source)) {
      throw new HttpError('not_found', `No event with id "${req.params.id}".`);
    }
    return event;
  }
  return {
    name: 'events-api',
    routes({ v1 }: Routers) {
      v1.get('/events', ctx.auth.reader, async (req, res) => {
        const principal = principalOf(res);
        const source = optionalString(req, 'source');
        if (source && !canReadSource(principal, source)) {
          throw new HttpError('forbidden', `This token may not read source "${source}".`);
        }
        const limit = limitParam(req, 100, 1000);
        const query = { source, type: optionalString(req, 'type'), after: optionalString(req, 'after'), limit };
        if (principal.sources === null || source) {
          res.json({ object: 'list', ...(await store.list(query)) });
          return;
        }
        // A token scoped to some sources: page through and keep only what it may see.
        const data = [];
        let after = query.after;
        let hasMore = true;
        while (data.length < limit && hasMore) {
          const page = await store.list({ ...query, after, limit });
          data.push(...page.data.filter((e) => canReadSource(principal, e.source)));
          hasMore = page.has_more;
          after = page.last_id ?? after;
        }
        const kept = data.slice(0, limit);
        res.json({ object: 'list', data: kept, has_more: hasMore || data.length > limit, last_id: kept.at(-1)?.id ?? null });
      });
      v1.get('/events/:id', ctx.auth.reader, async (req, res) => {
        res.json(await readable(req, res));
      });
      v1.get('/events/:id/raw', ctx.auth.reader, async (req, res) => {
        const event = await readable(req, res);
        const raw = await store.getRaw(event.id);
        if (!raw) throw new HttpError('not_found', `No raw body kept for "${event.id}".`);
        res.type(raw.content_type).send(raw.raw);
      });
      v1.get('/rejections', ctx.auth.admin, async (req, res) => {
        const data = await store.listRejections({ source: optionalString(req, 'source'), limit: limitParam(req, 100, 1000) });
        res.json({ object: 'list', data });
      });
    },
  };
}
