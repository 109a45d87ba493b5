import { isGlob } from '../../ui/lib/glob.js';
import type { Clock } from '../clock.ts';
import type { Logger } from '../ops/logger.ts';
import type { UpstreamRouter } from './upstreams.ts';

/** A model as `GET /v1/models` lists it (OpenAI's Model object; `owned_by` is the upstream's name). */
export interface ModelObject {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
}

export interface ModelCatalogue {
  /** The models of every upstream, each listed once, under the upstream that a request for it goes to. */
  list(): Promise<ModelObject[]>;
  get(id: string): Promise<ModelObject | undefined>;
}

const CACHE_MS = 60_000;

/**
 * The configured models: literal globs as they are, `*` globs resolved by asking the upstream for its
 * models (`GET /models`, kept for a minute). An upstream that cannot be asked contributes its literal
 * names only (and a warning in the log).
 */
export function createModelCatalogue(router: UpstreamRouter, clock: Clock, logger: Logger): ModelCatalogue {
  const cache = new Map<string, { at: number; models: Promise<Array<{ id: string; created: number }>> }>();

  function upstreamModels(name: string): Promise<Array<{ id: string; created: number }>> {
    const hit = cache.get(name);
    if (hit && clock.now() - hit.at < CACHE_MS) return hit.models;
    const client = router.all.find((u) => u.name === name)?.client;
    const models = (async () => {
      if (!client) return [];
      const found: Array<{ id: string; created: number }> = [];
      for await (const m of client.models.list()) found.push({ id: m.id, created: m.created ?? 0 });
      return found;
    })().catch((err: unknown) => {
      logger.warn({ err, upstream: name }, 'listing the upstream models failed');
      cache.delete(name);
      return [];
    });
    cache.set(name, { at: clock.now(), models });
    return models;
  }

  async function list(): Promise<ModelObject[]> {
    const byId = new Map<string, ModelObject>();
    for (const { upstream, models: globs } of router.models()) {
      const asked = globs.some((g) => isGlob(g)) ? await upstreamModels(upstream) : [];
      const created = new Map(asked.map((m) => [m.id, m.created]));
      const candidates = [...globs.filter((g) => !isGlob(g)), ...asked.map((m) => m.id)];
      for (const id of candidates) {
        // Listed under the upstream that serves it: the first whose globs match (config order).
        if (byId.has(id) || router.route(id)?.name !== upstream) continue;
        byId.set(id, { id, object: 'model', created: created.get(id) ?? 0, owned_by: upstream });
      }
    }
    return [...byId.values()];
  }

  return {
    list,
    async get(id) {
      const upstream = router.route(id);
      if (!upstream) return undefined;
      const globs = router.models().find((m) => m.upstream === upstream.name)?.models ?? [];
      if (globs.includes(id)) return { id, object: 'model', created: 0, owned_by: upstream.name };
      const asked = await upstreamModels(upstream.name);
      const found = asked.find((m) => m.id === id);
      return found ? { id, object: 'model', created: found.created, owned_by: upstream.name } : undefined;
    },
  };
}
