import type { RelayContext } from '../context.ts';
import type { Subsystem } from '../subsystem.ts';
import { consoleRoutes } from './routes.ts';

/** The browser console: static files from ui/ (no CDN, no build step), at / and /ui/. */
export function consoleUi(_ctx: RelayContext): Subsystem {
  return {
    name: 'console',
    routes(http) {
      consoleRoutes(http);
    },
  };
}
