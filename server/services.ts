/**
 * Named services that one subsystem provides and others use (delivery for workflows and AI webhooks,
 * the AI queue for batches), without importing each other's internals: consumers declare the
 * structural type they need. Providers call provide() in their factory; consumers call get() from
 * start() on, when every factory has run.
 */
export interface Services {
  provide<T>(name: string, service: T): void;
  get<T>(name: string): T | undefined;
}

export function createServices(): Services {
  const map = new Map<string, unknown>();
  return {
    provide(name, service) {
      if (map.has(name)) throw new Error(`service "${name}" is provided twice`);
      map.set(name, service);
    },
    get: <T>(name: string) => map.get(name) as T | undefined,
  };
}
