import type { HttpClient } from '../../plugins/sdk.ts';

// Where a workflow's http.request may connect. The check is a seam: the relay passes the delivery
// engine's destination policy (allow/deny lists, resolved addresses); refuseMetadata is the floor that
// applies whatever the policy says (cloud metadata endpoints hand out credentials to any caller).

export type DestinationCheck = (url: string) => Promise<void> | void;

const METADATA_HOSTS = new Set([
  '169.254.169.254',
  '169.254.170.2',
  '100.100.100.200',
  '[fd00:ec2::254]',
  'metadata.google.internal',
  'metadata.goog',
  'metadata',
  'instance-data',
]);

export class DestinationRefused extends Error {
  constructor(url: string, why: string) {
    super(`destination refused: ${url} (${why})`);
    this.name = 'DestinationRefused';
  }
}

export const refuseMetadata: DestinationCheck = (url) => {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new DestinationRefused(url, 'not a valid URL');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new DestinationRefused(url, `scheme ${parsed.protocol} is not allowed`);
  if (METADATA_HOSTS.has(parsed.hostname.toLowerCase())) throw new DestinationRefused(url, 'a cloud metadata address');
};

/** fetch that checks every destination before connecting; redirects are returned, never followed. */
export function guardedFetch(inner: typeof fetch, check: DestinationCheck = refuseMetadata): typeof fetch {
  return async function workflowFetch(input, init) {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    await check(url);
    return inner(input, { ...init, redirect: 'manual' });
  };
}

/** The step context's HTTP client with the same check before every request (it never follows redirects). */
export function guardedClient(inner: HttpClient, check: DestinationCheck = refuseMetadata): HttpClient {
  return {
    async send(request) {
      await check(request.url);
      return inner.send(request);
    },
  };
}
