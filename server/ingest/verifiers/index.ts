import type { SourceConfig } from '../../config/types.ts';
import { genericHmacVerifier, githubVerifier, shopifyVerifier } from './hmac-body.ts';
import { noneVerifier } from './none.ts';
import { standardWebhooksVerifier } from './standard-webhooks.ts';
import { stripeVerifier } from './stripe.ts';
import type { Verifier } from './verifier.ts';

export type { IncomingWebhook, Verification, Verifier } from './verifier.ts';

/** Builds the verifier for one configured source; misconfiguration throws ConfigError with the key path. */
export function createVerifier(source: SourceConfig, index: number): Verifier {
  const at = `sources[${index}].verify`;
  const config = source.verify;
  switch (config.scheme) {
    case 'standard-webhooks':
      return standardWebhooksVerifier(config, at);
    case 'openai':
      return standardWebhooksVerifier(config, at, 'openai');
    case 'github':
      return githubVerifier(config, at);
    case 'stripe':
      return stripeVerifier(config, at);
    case 'shopify':
      return shopifyVerifier(config, at);
    case 'hmac':
      return genericHmacVerifier(config, at);
    case 'none':
      return noneVerifier(config, `sources[${index}]`, source.insecure);
  }
}
