import type { IncomingHttpHeaders } from 'node:http';

const NOT_KEPT = new Set(['authorization', 'cookie', 'proxy-authorization', 'connection', 'keep-alive', 'transfer-encoding']);
const SIGNATURE = /signature|hmac/i;
const REJECTION_KEPT =
  /^(content-type|content-length|user-agent|x-forwarded-for|webhook-|svix-|x-github-|x-hub-|stripe-|x-shopify-)/;

/**
 * Headers stored with an event: everything a receiver might need, minus credentials (the fixed ones
 * and `redacted`, ingest.redactHeaders) and hop-by-hop. Called after verification, which reads the
 * request's own headers, so a signature header never needs to be kept for it.
 */
export function eventHeaders(headers: IncomingHttpHeaders, redacted: ReadonlySet<string> = new Set()): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || NOT_KEPT.has(name) || redacted.has(name)) continue;
    out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
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

export function flatHeaders(headers: IncomingHttpHeaders): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(headers)) out[name] = Array.isArray(value) ? value.join(', ') : value;
  return out;
}
