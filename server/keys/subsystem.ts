import type { RelayContext, Routers, Subsystem } from '../context.ts';
import { createKeyRing } from './key-ring.ts';
import { rateGate } from './rate-gate.ts';
import { KEYS_SERVICE, type KeysService } from './service.ts';
import { keyRoutes } from './routes.ts';

/** API keys with scopes, sources and limits (README "Keys"). */
export function keysSubsystem(ctx: RelayContext): Subsystem {
  const ring = createKeyRing(ctx.storage.tables, ctx.cluster, () => ctx.auth.changed());
  ctx.services.provide<KeysService>(KEYS_SERVICE, { limitsOf: (id) => ring.get(id)?.limits ?? {} });
  ctx.auth.addGate(rateGate(ctx.storage.buckets));
  return {
    name: 'keys',
    async start() {
      await ring.open();
      ctx.auth.addResolver((token) => ring.resolve(token));
    },
    async stop() {
      await ring.close();
    },
    routes({ v1 }: Routers) {
      keyRoutes(v1, ctx, ring);
    },
  };
}
