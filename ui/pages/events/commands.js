// "Copy as curl" and "Copy as hookrelay send" for a stored event.

/** Headers a replay should not carry: the client and the transport set these themselves. */
const NOT_REPLAYED = new Set(['host', 'content-length', 'expect', 'accept-encoding', 'x-forwarded-for', 'x-forwarded-proto']);
/** Headers the relay derives the event type from; `hookrelay send` passes them on so the type matches. */
const TYPE_HEADERS = ['x-github-event', 'x-shopify-topic'];

/** POSIX shell single-quoting: safe for any byte sequence except NUL. */
export function shellQuote(text) {
  return `'${String(text).replaceAll("'", `'\\''`)}'`;
}

/**
 * The exact request as it arrived (original headers, signature included, and the original body):
 * replayed against the same relay it is refused as out of tolerance or answered as a duplicate, which
 * is the point of signatures; it is for replaying into a local receiver or another relay.
 */
export function curlCommand(event, rawBody, origin) {
  const lines = [`curl -X POST ${shellQuote(`${origin}/hooks/${event.source}`)}`];
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (!NOT_REPLAYED.has(name)) lines.push(`  -H ${shellQuote(`${name}: ${value}`)}`);
  }
  lines.push(`  --data-binary ${shellQuote(rawBody)}`);
  return lines.join(' \\\n');
}

/**
 * The same body signed afresh by `hookrelay send` with the source's configured secret and a new message
 * id, so the relay accepts it as a new event.
 */
export function sendCommand(event, rawBody, origin) {
  const parts = ['hookrelay send', `--source ${shellQuote(event.source)}`, `--url ${shellQuote(origin)}`];
  const contentType = event.headers?.['content-type'];
  if (contentType && !contentType.startsWith('application/json')) parts.push(`--content-type ${shellQuote(contentType)}`);
  for (const name of TYPE_HEADERS) {
    if (event.headers?.[name]) parts.push(`--header ${shellQuote(`${name}: ${event.headers[name]}`)}`);
  }
  parts.push(`--data ${shellQuote(rawBody)}`);
  return parts.join(' ');
}
