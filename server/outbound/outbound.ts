import type { Agent } from 'undici';
import {
  createDestinationPolicy,
  type DestinationPolicy,
  destinationPolicyFromConfig,
  type Resolver,
  systemResolver,
} from './destination-policy.ts';
import { guardedDispatcher, guardedFetch } from './guarded-dispatcher.ts';

/**
 * Every way out of the relay, built once (server/main.ts). Destinations a caller chose (endpoint and
 * delivery URLs, workflow requests) follow `delivery.destinations`; upstreams the admin configured (AI
 * upstreams, enrichment) follow the floor every request has: no metadata service, no link-local address.
 * Both are enforced on the address each connection goes to, every redirect hop included. A fetch
 * injected into the relay (tests, embedding) carries requests instead; callers still check() first.
 */
export interface Outbound {
  /** `delivery.destinations`, for checks before a request (endpoint creation, each attempt). */
  policy: DestinationPolicy;
  /** For destinations a caller chose. */
  fetch: typeof fetch;
  /** For upstreams in the config file. */
  upstreamFetch: typeof fetch;
  /** The dispatcher behind `fetch` (null with an injected fetch), for clients built on undici's request. */
  dispatcher: Agent | null;
  close(): Promise<void>;
}

export function createOutbound(options: { deliverySection: unknown; resolve?: Resolver; fetch?: typeof fetch }): Outbound {
  const resolve = options.resolve ?? systemResolver;
  const policy = destinationPolicyFromConfig(options.deliverySection, resolve);
  if (options.fetch) {
    return { policy, fetch: options.fetch, upstreamFetch: options.fetch, dispatcher: null, close: async () => {} };
  }
  const dispatcher = guardedDispatcher(policy);
  const upstreams = guardedDispatcher(createDestinationPolicy({}, resolve));
  return {
    policy,
    fetch: guardedFetch(dispatcher),
    upstreamFetch: guardedFetch(upstreams),
    dispatcher,
    async close() {
      await Promise.all([dispatcher.close(), upstreams.close()]);
    },
  };
}
