/** `type` from the payload's `type`, GitHub's event (+ `.action`), Shopify's topic, else `unknown`. */
export function eventType(headers: Record<string, string | undefined>, payload: unknown): string {
  const body = payload && typeof payload === 'object' && !Array.isArray(payload) ? (payload as Record<string, unknown>) : {};
  const github = headers['x-github-event'];
  if (github) return typeof body.action === 'string' ? `${github}.${body.action}` : github;
  if (typeof body.type === 'string' && body.type) return body.type;
  const topic = headers['x-shopify-topic'];
  if (topic) return topic;
  return 'unknown';
}
