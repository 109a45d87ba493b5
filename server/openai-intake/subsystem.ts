import type OpenAI from 'openai';
import type { RelayContext } from '../context.ts';
import type { Subsystem } from '../subsystem.ts';
import { EVENT_ANNOTATIONS } from '../events/annotations.ts';
import type { RelayEvent } from '../store/types.ts';
import { enrichClients } from './enrich-clients.ts';
import { type Enrichment, tableEnrichmentStore } from './enrichment-store.ts';
import { namedObject, retrieveObject } from './openai-object.ts';

const CLAIM_PREFIX = 'enrich:';
const claimKey = (eventId: string) => `${CLAIM_PREFIX}${eventId}`;

/**
 * OpenAI's webhooks carry only an object id. For sources with `enrich`, this fetches the object after
 * the event is stored (the 200 never waits for it), keeps it beside the event (GET /v1/events/:id
 * shows it as `enrichment`) and emits `<type>.enriched` on the same source for workflows to follow.
 * A pending row is written before the fetch, so enrichments cut off by a stop resume on start.
 */
export function openaiEnrichment(ctx: RelayContext): Subsystem {
  const clients = enrichClients(ctx.config.sources, ctx.config.sections, ctx.outbound.upstreamFetch);
  const store = tableEnrichmentStore(ctx.storage.tables.table<Enrichment>('enrichments', 'large'));
  const running = new Set<Promise<void>>();
  const stopping = new AbortController();
  let unsubscribe: (() => void) | null = null;
  let offLost: (() => void) | null = null;
  let pruneTimer: { clear(): void } | null = null;
  const now = () => new Date(ctx.clock.now()).toISOString();
  const keepMs = ctx.config.store.retention.maxAgeDays * 24 * 3600 * 1000;

  /** Enrichments live as long as events do (store.retention.maxAgeDays); checked hourly. */
  function pruneOld(): void {
    const before = new Date(ctx.clock.now() - keepMs).toISOString();
    track(
      store
        .prune(before)
        .then(() => undefined)
        .catch((err: unknown) => ctx.logger.error({ err }, 'could not prune enrichments')),
    );
    pruneTimer = ctx.clock.setTimeout(pruneOld, 3600_000);
  }

  if (clients.size > 0) {
    ctx.services.provide(EVENT_ANNOTATIONS, {
      async annotate(event) {
        const found = store.get(event.id);
        if (!found) return undefined;
        const { status, object_kind, object_id, object, error, updated_at } = found;
        return { enrichment: { status, object_kind, object_id, object, error, updated_at } };
      },
    });
  }

  function track(work: Promise<void>): void {
    running.add(work);
    work.finally(() => running.delete(work));
  }

  function onEvent(event: RelayEvent): void {
    const client = clients.get(event.source);
    // Only verified OpenAI deliveries: the `.enriched` events this emits on the same source are internal.
    if (!client || event.verified.scheme !== 'openai' || store.get(event.id)) return;
    const named = namedObject(event.type, event.payload);
    if (!named) return;
    const enrichment: Enrichment = {
      id: event.id,
      source: event.source,
      event_type: event.type,
      object_kind: named.kind,
      object_id: named.id,
      status: 'pending',
      object: null,
      error: null,
      updated_at: now(),
    };
    const key = claimKey(event.id);
    track(
      background(
        ctx.cluster.claim([key]).then(async (granted) => {
          if (granted.length === 0) return;
          await store.save(enrichment);
          await enrich(client, enrichment);
        }),
      ),
    );
  }

  /**
   * Pending enrichments this instance can claim: its own after a restart, and those of an instance
   * that died (several instances on PostgreSQL). Re-read after claiming: another may have finished it.
   */
  async function resumePending(): Promise<void> {
    const keys = store.pending().map((p) => claimKey(p.id));
    const granted = await ctx.cluster.claim(keys);
    const ids = granted.map((key) => key.slice(CLAIM_PREFIX.length));
    await store.refresh(ids);
    for (const id of ids) {
      const pending = store.get(id);
      const client = pending?.status === 'pending' ? clients.get(pending.source) : undefined;
      if (pending && client) track(background(enrich(client, pending)));
    }
  }

  async function enrich(client: OpenAI, pending: Enrichment): Promise<void> {
    let done: Enrichment;
    try {
      const object = await retrieveObject(client, pending.object_kind, pending.object_id, stopping.signal);
      done = { ...pending, status: 'completed', object, updated_at: now() };
    } catch (error) {
      if (stopping.signal.aborted) return; // stays pending; resumed on the next start
      const e = error as { status?: number; code?: string; message?: string };
      const failure = {
        code: e.code ?? (e.status ? `upstream_${e.status}` : 'upstream_unreachable'),
        message: String(e.message),
      };
      done = { ...pending, status: 'failed', error: e.status ? { ...failure, status: e.status } : failure, updated_at: now() };
      ctx.logger.warn({ event: pending.id, object: pending.object_id, err: error }, 'could not enrich an OpenAI webhook');
    }
    await store.save(done);
    await ctx.cluster.release([claimKey(done.id)]);
    await ctx.eventService.emit({
      source: done.source,
      type: `${done.event_type}.${done.status === 'completed' ? 'enriched' : 'enrichment_failed'}`,
      payload: { event_id: done.id, object_id: done.object_id, object: done.object, error: done.error },
      providerId: `${done.id}:enrichment`,
    });
  }

  function background(work: Promise<void>): Promise<void> {
    return work.catch((err: unknown) => ctx.logger.error({ err }, 'enrichment failed to save'));
  }

  return {
    name: 'openai-enrichment',
    async start() {
      if (clients.size === 0) return;
      await store.open();
      unsubscribe = ctx.bus.subscribe((event) => onEvent(event));
      pruneOld();
      track(background(resumePending()));
      offLost = ctx.cluster.onInstanceLost(() => track(background(resumePending())));
    },
    async stop() {
      unsubscribe?.();
      offLost?.();
      pruneTimer?.clear();
      stopping.abort();
      await Promise.allSettled([...running]);
      if (clients.size > 0) await store.close();
    },
  };
}
