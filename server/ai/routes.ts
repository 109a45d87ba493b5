import type { Request, Response as HttpResponse } from 'express';
import type { HttpMount } from '../http/mount.ts';
import type { RelayContext } from '../context.ts';
import { RelayError } from '../errors.ts';
import { principalOf } from '../http/auth.ts';
import { isAdmin, owns, type Principal } from '../principals.ts';
import { limitParam, optionalString } from '../http/query.ts';
import { listInputItems } from './input-items.ts';
import { previousNotFound } from './previous-response.ts';
import type { AiConfig } from './config.ts';
import type { Idempotency } from './idempotency.ts';
import { followResponse } from './live.ts';
import { parseCreateParams } from './request.ts';
import type { Response } from './response-object.ts';
import type { ResponseRow, ResponseStore } from './response-store.ts';
import type { ResponsesService } from './responses-service.ts';
import { streamEvents } from './sse.ts';
import type { UpstreamRouter } from './upstreams.ts';
import type { UsageStore } from './usage.ts';
import type { AiQuota } from './quota.ts';

interface RouteDeps {
  ctx: RelayContext;
  config: AiConfig;
  service: ResponsesService;
  store: ResponseStore;
  usage: UsageStore;
  quota: AiQuota;
  idempotency: Idempotency;
  router: UpstreamRouter;
  /** Ends every open event stream (called when the relay stops accepting). */
  openStreams: Set<() => void>;
}

const notFound = (id: string) => new RelayError('not_found', `No response with id "${id}".`);

/** /v1/responses (OpenAI-compatible), plus the hookrelay extensions /v1/usage and /v1/ai/upstreams. */
export function responsesRoutes({ v1, auth }: HttpMount, deps: RouteDeps): void {
  const { ctx, service, store } = deps;
  const ai = auth.require('ai');

  function follow(res: HttpResponse, id: string, after: number, onClose?: () => void) {
    streamEvents(res, (sink) => followResponse(store, service.live(id), id, after, sink, ctx.clock), {
      onClose,
      open: deps.openStreams,
    });
  }

  /** The response, if the caller may see it: another key's answers 404, as if it did not exist. */
  async function visible(id: string, principal: Principal): Promise<void> {
    const found = await service.ownerOf(id);
    if (!found || !owns(principal, found.owner)) throw notFound(id);
  }

  v1.post('/responses', ai, async (req, res) => {
    const params = parseCreateParams(req.body, ctx.newId);
    deps.quota.check(principalOf(res));
    // Another key's response cannot be continued: it answers as if it did not exist.
    if (params.previous_response_id) {
      const found = await service.ownerOf(params.previous_response_id);
      if (found && !owns(principalOf(res), found.owner)) throw previousNotFound(params.previous_response_id);
    }
    const owner = principalOf(res).keyId;
    const key = idempotencyKey(req, owner);
    // The body as sent is what a repeated request is compared with (parsing gives new item ids).
    const response = key
      ? await deps.idempotency.once(key, req.body, {
          newId: () => ctx.newId('resp'),
          create: (id) => service.create(params, id, owner),
          find: (id) => service.retrieve(id),
        })
      : await service.create(params, undefined, owner);
    // A call that is not background lives as long as its request (as with OpenAI).
    const cancelOnClose = params.background ? undefined : () => void service.abandon(response.id);
    if (params.stream) return follow(res, response.id, -1, cancelOnClose);
    if (params.background) return void res.json(response);
    res.json(await waitBounded(response.id, res, cancelOnClose));
  });

  async function waitBounded(id: string, res: HttpResponse, onClose?: () => void): Promise<Response> {
    const controller = new AbortController();
    const timer = ctx.clock.setTimeout(() => controller.abort(), deps.config.waitSeconds * 1000);
    const closed = () => {
      if (!res.writableFinished) onClose?.();
    };
    res.on('close', closed);
    try {
      return await service.waitForTerminal(id, controller.signal);
    } finally {
      timer.clear();
    }
  }

  v1.get('/responses', ai, (req, res) => {
    const limit = limitParam(req, 20, 100);
    const rows = ownedRows(store, principalOf(res), limit + 1, optionalString(req, 'before'));
    const data = rows.slice(0, limit).map((row) => ({
      ...row.response,
      duration_ms: row.finished_ms !== null ? row.finished_ms - row.created_ms : null,
    }));
    res.json({
      object: 'list',
      data,
      has_more: rows.length > limit,
      first_id: data[0]?.id ?? null,
      last_id: data.at(-1)?.id ?? null,
    });
  });

  v1.get('/responses/:id', ai, async (req, res) => {
    const id = String(req.params.id);
    await visible(id, principalOf(res));
    const response = await service.retrieve(id);
    if (!response) throw notFound(id);
    if (req.query.stream !== 'true') return void res.json(response);
    follow(res, id, startingAfter(req));
  });

  v1.get('/responses/:id/input_items', ai, async (req, res) => {
    const id = String(req.params.id);
    await visible(id, principalOf(res));
    if (!(await service.retrieve(id))) throw notFound(id);
    res.json(listInputItems(store.get(id)?.input_items ?? [], req));
  });

  v1.post('/responses/:id/cancel', ai, async (req, res) => {
    await visible(String(req.params.id), principalOf(res));
    res.json(await service.cancel(String(req.params.id)));
  });

  v1.delete('/responses/:id', ai, async (req, res) => {
    const id = String(req.params.id);
    await visible(id, principalOf(res));
    if (!(await service.remove(id))) throw notFound(id);
    res.json({ id, object: 'response', deleted: true });
  });

  v1.get('/usage', auth.require('usage:read'), (req, res) => {
    const from = dateParam(req, 'start_date');
    const to = dateParam(req, 'end_date');
    res.json({ object: 'list', data: deps.usage.list(from, to, usageKey(req, principalOf(res))) });
  });

  v1.get('/ai/upstreams', ai, (_req, res) => {
    res.json({ object: 'list', data: deps.router.models() });
  });
}

/**
 * Keys are kept per caller: another key's Idempotency-Key never returns (or blocks) this one's
 * response. Key ids hold no `:`, so no key can reach another's namespace; the admin token keeps the
 * plain keys it always had (and may see every response anyway).
 */
function idempotencyKey(req: Request, owner: string | null): string | undefined {
  const key = req.get('idempotency-key');
  if (key === undefined) return undefined;
  if (key.length === 0 || key.length > 255) {
    throw new RelayError('invalid_request', 'Idempotency-Key must be 1 to 255 characters.', { param: 'Idempotency-Key' });
  }
  return owner === null ? key : `${owner}:${key}`;
}

/** Newest first below `before`: every row for admin, the caller's own for other keys (paging past others'). */
function ownedRows(store: ResponseStore, principal: Principal, wanted: number, before?: string): ResponseRow[] {
  if (isAdmin(principal)) return store.list(wanted, before);
  const found: ResponseRow[] = [];
  let cursor = before;
  for (;;) {
    const page = store.list(500, cursor);
    found.push(...page.filter((row) => owns(principal, row.owner)));
    if (found.length >= wanted || page.length < 500) return found.slice(0, wanted);
    cursor = page[page.length - 1].id;
  }
}

/** `usage:read` keys see their own usage; admin sees every key's, or one key's with `key_id`. */
function usageKey(req: Request, principal: Principal): string | null | undefined {
  if (!isAdmin(principal)) return principal.keyId;
  const key = optionalString(req, 'key_id');
  return key === undefined ? undefined : key === 'admin' ? null : key;
}

function startingAfter(req: Request): number {
  const raw = optionalString(req, 'starting_after');
  if (raw === undefined) return -1;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < -1) {
    throw new RelayError('invalid_request', '"starting_after" must be a sequence number (an integer ≥ 0).', {
      param: 'starting_after',
    });
  }
  return n;
}

function dateParam(req: Request, name: string): string | undefined {
  const value = optionalString(req, name);
  if (value !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    throw new RelayError('invalid_request', `"${name}" must be a date like 2026-01-31.`, { param: name });
  }
  return value;
}
