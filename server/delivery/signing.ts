import { randomBytes } from 'node:crypto';
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

const signers = new Map<string, Webhook>();

function signerFor(secret: string): Webhook {
  let signer = signers.get(secret);
  if (!signer) {
    if (signers.size > 10_000) signers.clear();
    signer = new Webhook(secret);
    signers.set(secret, signer);
  }
  return signer;
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
  const at = new Date(now);
  const payload = body.toString('utf8');
  return {
    'webhook-id': msgId,
    'webhook-timestamp': String(Math.floor(now / 1000)),
    'webhook-signature': secrets.map((s) => signerFor(s).sign(msgId, at, payload)).join(' '),
  };
}
