import type { ServiceKey } from '../plugins/sdk.ts';

/**
 * Services that one subsystem provides and others use (delivery for workflows and AI webhooks, the AI
 * queue for batches), without importing each other's internals. Each has a typed key (`serviceKey<T>()`
 * in plugins/sdk.ts): the services plugins use are declared in the SDK, the others next to the service
 * they name. Providers call provide() in their factory; users call get() from start() on, when every
 * factory has run.
 */
export interface Services {
  provide<T>(key: ServiceKey<T>, service: T): void;
  get<T>(key: ServiceKey<T>): T | undefined;
}

export function createServices(): Services {
  const map = new Map<string, unknown>();
  return {
    provide(key, service) {
      if (map.has(key.name)) throw new Error(`service "${key.name}" is provided twice`);
      map.set(key.name, service);
    },
    get: <T>(key: ServiceKey<T>) => map.get(key.name) as T | undefined,
  };
}
