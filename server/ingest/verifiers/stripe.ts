import { createHmac, createSecretKey } from 'node:crypto';
import { sameSignature } from '../../crypto.ts';
import type { VerifyConfig } from '../../config/types.ts';
import { ConfigError, RelayError } from '../../errors.ts';
import { checkTimestamp, header, invalid, missing, type IncomingWebhook, type Verifier } from './verifier.ts';

/** `Stripe-Signature: t=<unix>,v1=<hex>[,v1=...]` over `"<t>.<raw body>"`, with a timestamp tolerance. */
export function stripeVerifier(config: VerifyConfig, at: string): Verifier {
  if (config.secrets.length === 0) throw new ConfigError(`${at}.secrets`, 'expected at least one secret (whsec_...)');
  // Key objects made once: createHmac with a string key builds one per call, most of its cost.
  const keys = config.secrets.map((secret) => createSecretKey(Buffer.from(secret)));
  return {
    scheme: 'stripe',
    verify(request: IncomingWebhook) {
      const value = header(request, 'stripe-signature');
      if (!value) throw missing('Stripe-Signature');
      let timestamp: string | undefined;
      const signatures: string[] = [];
      for (const part of value.split(',')) {
        const [key, val] = part.trim().split('=', 2);
        if (key === 't') timestamp = val;
        else if (key === 'v1' && val) signatures.push(val);
      }
      if (!timestamp || signatures.length === 0) {
        throw new RelayError('signature_invalid', 'Stripe-Signature needs t= and at least one v1= entry.');
      }
      checkTimestamp(timestamp, request.now, config.toleranceSeconds);
      for (const key of keys) {
        const expected = createHmac('sha256', key).update(`${timestamp}.`).update(request.body).digest('hex');
        if (signatures.some((s) => sameSignature(s, expected)))
          return { scheme: 'stripe', providerId: stripeEventId(request.body) };
      }
      throw invalid();
    },
  };
}

function stripeEventId(body: Buffer): string | null {
  try {
    const id = (JSON.parse(body.toString('utf8')) as { id?: unknown }).id;
    return typeof id === 'string' ? id : null;
  } catch {
    return null;
  }
}
