import type { RelayContext } from '../context.ts';
import type { Subsystem } from '../subsystem.ts';
import { eventRoutes } from './routes.ts';

/** The stored events over HTTP: listing, reading, writing, their activity, and the rejection log. */
export function eventsApi(ctx: RelayContext): Subsystem {
  return {
    name: 'events-api',
    routes(http) {
      eventRoutes(http, ctx);
    },
  };
}
