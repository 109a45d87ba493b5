import type { IncomingHttpHeaders } from 'node:http';

const NOT_KEPT = new Set(['authorization', 'cookie', 'proxy-authorization', 'connection', 'keep-alive', 'transfer-encoding']);
const SIGNATURE = /signature|hmac/i;
const REJECTION_KEPT =
  /^(content-type|content-length|user-agent|x-forwarded-for|webhook-|svix-|x-github-|x-hub-|stripe-|x-shopify-)/;

const NO_REDACTION: ReadonlySet<string> = new Set();

/**
 * One pass over a request's headers: `all` (repeated ones joined with ", ") for the verifier, and
 * `kept`, the ones stored with the event: everything a receiver might need, minus credentials (the
 * fixed ones and `redacted`, ingest.redactHeaders) and hop-by-hop. Verification reads `all`, so a
 * signature header never needs to be kept for it.
 */
export function requestHeaders(
  headers: IncomingHttpHeaders,
  redacted: ReadonlySet<string> = NO_REDACTION,
): { all: Record<string, string | undefined>; kept: Record<string, string> } {
  const all: Record<string, string | undefined> = {};
  const kept: Record<string, string> = {};
  for (const name in headers) {
    const value = headers[name];
    const text = Array.isArray(value) ? value.join(', ') : value;
    all[name] = text;
    if (text === undefined || NOT_KEPT.has(name) || redacted.has(name)) continue;
    kept[name] = text;
  }
  return { all, kept };
}

/** A few headers for the rejection log; signature values shortened so no secret-derived value is kept whole. */
export function rejectionHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || !REJECTION_KEPT.test(name)) continue;
    const text = Array.isArray(value) ? value.join(', ') : value;
    out[name] = SIGNATURE.test(name) && text.length > 12 ? `${text.slice(0, 12)}…` : text.slice(0, 200);
  }
  return out;
}
