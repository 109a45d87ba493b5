import type { RelayContext } from '../context.ts';
import type { Subsystem } from '../subsystem.ts';
import { SourceRegistry, SOURCES } from './registry.ts';
import { sourceRoutes } from './routes.ts';
import { SourceService } from './service.ts';
import type { SourceRow } from './source-row.ts';

/**
 * Sources: those of the config file and those made at runtime through /v1/sources (kept in the
 * private `sources` table). Provides the `sources` service that ingest looks verifiers up in.
 */
export function sourcesSubsystem(ctx: RelayContext): Subsystem {
  const table = ctx.storage.tables.table<SourceRow>('sources', 'small');
  const registry = new SourceRegistry({ config: ctx.config.sources, table, clock: ctx.clock, logger: ctx.logger });
  const service = new SourceService({ table, registry, clock: ctx.clock });
  ctx.services.provide(SOURCES, registry);
  let offChange: (() => void) | null = null;
  return {
    name: 'sources',
    async start() {
      await table.open();
      registry.load();
      // Sources made, changed or deleted on another instance (PostgreSQL) apply here as soon as they change.
      offChange = table.onChange((ids) => {
        for (const id of ids) registry.refresh(id);
      });
    },
    async stop() {
      offChange?.();
      await table.close();
    },
    routes(http) {
      sourceRoutes(ctx, registry, service, http);
    },
  };
}
