import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import { sameSignature } from '../../crypto.ts';
import type { VerifyConfig } from '../../config/types.ts';
import { ConfigError } from '../../errors.ts';
import { checkTimestamp, header, invalid, missing, type IncomingWebhook, type Verifier } from './verifier.ts';

const SECRET_FORMAT = /^whsec_([A-Za-z0-9+/]+={0,2})$/;

/** The HMAC key of a `whsec_<base64>` secret, as svix, standardwebhooks and openai-node all decode it. */
export function standardWebhooksKey(secret: string): Buffer | null {
  const match = SECRET_FORMAT.exec(secret);
  if (!match) return null;
  const key = Buffer.from(match[1], 'base64');
  return key.length > 0 ? key : null;
}

/** The base64 signature of one message (without the `v1,` version prefix). */
export function standardWebhooksSignature(key: Buffer | KeyObject, id: string, timestamp: string, body: Buffer): string {
  return createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest('base64');
}

/**
 * Standard Webhooks (also Svix's `svix-*` headers and OpenAI's webhooks): base64 HMAC-SHA256 over
 * `"<id>.<timestamp>.<body>"`. Computed here over the raw body bytes, because the svix and
 * standardwebhooks libraries decode the body to a string first, so two different invalid UTF-8 byte
 * sequences would share one signature; for every valid UTF-8 body the result is the same as theirs
 * (the tests sign with both libraries).
 */
export function standardWebhooksVerifier(config: VerifyConfig, at: string, scheme = 'standard-webhooks'): Verifier {
  if (config.secrets.length === 0) throw new ConfigError(`${at}.secrets`, 'expected at least one secret (whsec_...)');
  const keys = config.secrets.map((secret, i) => {
    const key = standardWebhooksKey(secret);
    if (!key) throw new ConfigError(`${at}.secrets[${i}]`, 'expected "whsec_" followed by base64, as the sender shows it');
    // A KeyObject made once: createHmac with a raw Buffer builds one per call (about 12 µs of ~14).
    return createSecretKey(key);
  });
  return {
    scheme,
    verify(request: IncomingWebhook) {
      const id = header(request, 'webhook-id') ?? header(request, 'svix-id');
      const timestamp = header(request, 'webhook-timestamp') ?? header(request, 'svix-timestamp');
      const signature = header(request, 'webhook-signature') ?? header(request, 'svix-signature');
      if (!id) throw missing('webhook-id');
      if (!timestamp) throw missing('webhook-timestamp');
      if (!signature) throw missing('webhook-signature');
      checkTimestamp(timestamp, request.now, config.toleranceSeconds);
      const passed = signature.split(' ');
      for (const key of keys) {
        const expected = standardWebhooksSignature(key, id, timestamp, request.body);
        for (const candidate of passed) {
          if (candidate.startsWith('v1,') && sameSignature(candidate.slice(3), expected)) return { scheme, providerId: id };
        }
      }
      throw invalid();
    },
  };
}
