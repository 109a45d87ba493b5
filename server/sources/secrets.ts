import { randomBytes } from 'node:crypto';
import type { Scheme } from '../config/types.ts';

/**
 * Schemes whose secret the receiving side chooses, so the relay can make one: a `whsec_` secret (24
 * random bytes, base64) as Standard Webhooks senders show it; `hmac` and `github` take it as text.
 * Stripe and Shopify issue their own secrets, which have to be sent in.
 */
const GENERATED: ReadonlySet<Scheme> = new Set(['standard-webhooks', 'openai', 'hmac', 'github']);

export const canGenerateSecret = (scheme: Scheme) => GENERATED.has(scheme);

export function generateSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}
