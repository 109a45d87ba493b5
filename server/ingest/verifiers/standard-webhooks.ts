import { Webhook } from 'svix';
import type { VerifyConfig } from '../../config/types.ts';
import { ConfigError } from '../../errors.ts';
import { checkTimestamp, header, invalid, missing, safeEqual, type IncomingWebhook, type Verifier } from './verifier.ts';

/**
 * Standard Webhooks (and Svix's `svix-*` headers, and OpenAI's webhooks). The svix library computes
 * the signature; the timestamp is checked here against the relay's clock and the source's tolerance.
 */
export function standardWebhooksVerifier(config: VerifyConfig, at: string, scheme = 'standard-webhooks'): Verifier {
  if (config.secrets.length === 0) throw new ConfigError(`${at}.secrets`, 'expected at least one secret (whsec_...)');
  const signers = config.secrets.map((secret, i) => {
    try {
      return new Webhook(secret);
    } catch {
      throw new ConfigError(`${at}.secrets[${i}]`, 'expected "whsec_" followed by base64 (as the sender shows it)');
    }
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
      const seconds = Number(timestamp);
      checkTimestamp(seconds, request.now, config.toleranceSeconds);
      const passed = signature
        .split(' ')
        .filter((s) => s.startsWith('v1,'))
        .map((s) => s.slice(3));
      const when = new Date(seconds * 1000);
      for (const signer of signers) {
        const expected = signer.sign(id, when, request.body).slice(3);
        if (passed.some((candidate) => safeEqual(candidate, expected))) return { scheme, providerId: id };
      }
      throw invalid();
    },
  };
}
