interface RouteLike {
  path: string | string[];
  methods: Record<string, boolean>;
}
interface LayerLike {
  rawPath?: string | string[];
  route?: RouteLike;
  handle?: { stack?: LayerLike[] };
}

export interface RouteEntry {
  method: string;
  path: string;
}

/** Every route in a relay's Express app (`relay.app`), with mount paths joined (walks nested routers). */
export function routeTable(app: unknown): RouteEntry[] {
  const found: RouteEntry[] = [];
  walk((app as { router: { stack: LayerLike[] } }).router.stack, '', found);
  return found;
}

function walk(stack: LayerLike[], prefix: string, found: RouteEntry[]): void {
  for (const layer of stack) {
    if (layer.route) {
      for (const path of [layer.route.path].flat()) {
        for (const method of Object.keys(layer.route.methods)) {
          if (method !== '_all') found.push({ method: method.toUpperCase(), path: join(prefix, path) });
        }
      }
    } else if (layer.handle?.stack) {
      const mount = [layer.rawPath ?? ''].flat()[0] ?? '';
      walk(layer.handle.stack, join(prefix, mount === '/' ? '' : mount), found);
    }
  }
}

const join = (a: string, b: string) => `${a}${b}`.replace(/\/+/g, '/');

/** A concrete path for a route pattern: every parameter and wildcard becomes a plain segment. */
export function concretePath(pattern: string): string {
  return pattern
    .replace(/[{}]/g, '')
    .replace(/[:*][A-Za-z0-9_]+/g, 'x0')
    .replace(/\*/g, 'x0');
}
