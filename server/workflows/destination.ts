import type { HttpClient } from '../../plugins/sdk.ts';

// Where a workflow's fetch and http.request may connect: the relay's one destination policy
// (server/outbound/destination-policy.ts), checked before each request here and again on the address
// each connection goes to by the guarded dispatcher underneath. Redirects are never followed.

export type DestinationCheck = (url: string) => Promise<void> | void;

/** fetch that checks every destination before connecting; redirects are returned, never followed. */
export function guardedFetch(inner: typeof fetch, check: DestinationCheck): typeof fetch {
  return async function workflowFetch(input, init) {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    await check(url);
    return inner(input, { ...init, redirect: 'manual' });
  };
}

/** The step context's HTTP client with the same check before every request (it never follows redirects). */
export function guardedClient(inner: HttpClient, check: DestinationCheck): HttpClient {
  return {
    async send(request) {
      await check(request.url);
      return inner.send(request);
    },
  };
}
