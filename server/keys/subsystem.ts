import type { RelayContext } from '../context.ts';
import type { Subsystem } from '../subsystem.ts';
import { createKeyRing } from './key-ring.ts';
import { rateGate } from './rate-gate.ts';
import { KEYS_SERVICE } from './service.ts';
import { keyRoutes } from './routes.ts';

/** API keys with scopes, sources and limits (README "Keys"). */
export function keysSubsystem(ctx: RelayContext): Subsystem {
  const ring = createKeyRing(ctx.storage.tables, ctx.cluster, () => ctx.credentials.changed());
  ctx.services.provide(KEYS_SERVICE, { limitsOf: (id) => ring.get(id)?.limits ?? {} });
  return {
    name: 'keys',
    async start() {
      await ring.open();
      ctx.credentials.addResolver((token) => ring.resolve(token));
    },
    async stop() {
      await ring.close();
    },
    routes(http) {
      http.auth.addGate(rateGate(ctx.storage.buckets));
      keyRoutes(http, ctx, ring);
    },
  };
}
