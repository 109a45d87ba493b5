// Destinations a workflow's http.request may never reach: cloud metadata endpoints, which hand out
// credentials to anything that can make the relay fetch them. (The delivery engine's destination
// policy, once present, replaces this list with its full rules.)
const METADATA_HOSTS = new Set(['169.254.169.254', '[fd00:ec2::254]', 'metadata.google.internal', 'metadata', '100.100.100.200']);

export class DestinationRefused extends Error {
  constructor(url: string, why: string) {
    super(`destination refused: ${url} (${why})`);
    this.name = 'DestinationRefused';
  }
}

export function destinationProblem(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'not a valid URL';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return `scheme ${parsed.protocol} is not allowed`;
  if (METADATA_HOSTS.has(parsed.hostname.toLowerCase())) return 'a cloud metadata address';
  return null;
}

/** fetch that refuses forbidden destinations before connecting; redirects are not followed blindly. */
export function guardedFetch(inner: typeof fetch): typeof fetch {
  return async function workflowFetch(input, init) {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const problem = destinationProblem(url);
    if (problem) throw new DestinationRefused(url, problem);
    const res = await inner(input, { ...init, redirect: 'manual' });
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      const next = new URL(location, url).href;
      const redirectProblem = destinationProblem(next);
      if (redirectProblem) throw new DestinationRefused(next, redirectProblem);
    }
    return res;
  };
}
