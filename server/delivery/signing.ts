import { isUtf8 } from 'node:buffer';
import { createHmac, createSecretKey, type KeyObject, randomBytes } from 'node:crypto';
import { Webhook } from 'svix';
import type { RetiredSecret } from './types.ts';

/** `whsec_` + base64 of 32 random bytes: the Standard Webhooks secret format the svix library reads. */
export function generateSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** Old secrets sign alongside the new one for this long after a rotation (as Svix does). */
export const ROTATION_OVERLAP_MS = 24 * 3_600_000;
/** At most this many retired secrets are kept signing (Svix keeps 10). */
export const MAX_RETIRED_SECRETS = 10;

const keys = new Map<string, KeyObject>();

/** The HMAC key of a secret; the svix library reads it first, so a secret it refuses fails as before. */
function keyFor(secret: string): KeyObject {
  let key = keys.get(secret);
  if (!key) {
    if (keys.size > 10_000) keys.clear();
    new Webhook(secret);
    // A KeyObject, not a Buffer: createHmac makes a new key object from a Buffer on every call (4x slower).
    key = createSecretKey(Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64'));
    keys.set(secret, key);
  }
  return key;
}

/**
 * `v1,` + base64 HMAC-SHA256 of `id.timestamp.body`, as the Standard Webhooks libraries compute it, with
 * node:crypto over the body's bytes (the libraries' pure-JS SHA-256 and the body's round trip through a
 * string were a tenth of a delivery's CPU). A body that is not UTF-8 is signed as the libraries sign it:
 * as its UTF-8 decoding.
 */
function sign(secret: string, prefix: string, body: Buffer): string {
  const bytes = isUtf8(body) ? body : Buffer.from(body.toString('utf8'));
  return `v1,${createHmac('sha256', keyFor(secret)).update(prefix).update(bytes).digest('base64')}`;
}

/** The secrets that sign right now: the current one first, then retired ones not yet expired. */
export function activeSecrets(secret: string, previous: readonly RetiredSecret[], now: number): string[] {
  return [secret, ...previous.filter((p) => p.expires_at > now).map((p) => p.secret)];
}

/**
 * Standard Webhooks headers for one attempt: the id stays the event id (receivers de-duplicate by it),
 * the timestamp and signatures are fresh, and every active secret contributes a space-separated
 * `v1,` signature so receivers can switch secrets without a gap.
 */
export function signatureHeaders(msgId: string, body: Buffer, secrets: readonly string[], now: number) {
  const timestamp = String(Math.floor(now / 1000));
  const prefix = `${msgId}.${timestamp}.`;
  return {
    'webhook-id': msgId,
    'webhook-timestamp': timestamp,
    'webhook-signature': secrets.map((s) => sign(s, prefix, body)).join(' '),
  };
}
