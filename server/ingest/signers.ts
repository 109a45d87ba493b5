import { createHmac, randomUUID } from 'node:crypto';
import type { VerifyConfig } from '../config/types.ts';
import { standardWebhooksKey, standardWebhooksSignature } from './verifiers/standard-webhooks.ts';

export interface SignOptions {
  verify: Pick<VerifyConfig, 'scheme' | 'header' | 'algorithm' | 'encoding' | 'prefix' | 'idHeader'>;
  secret: string;
  body: Buffer | string;
  /** Seconds since the epoch; defaults to now. */
  timestamp?: number;
  /** The provider message id; a fresh one by default. */
  id?: string;
}

/**
 * The headers a provider using this scheme would send: what `hookrelay send` uses, and what tests and
 * benchmarks use to play a provider. (Tests of the verifiers sign with the providers' own libraries.)
 */
export function signHeaders(options: SignOptions): Record<string, string> {
  const { verify, secret } = options;
  const body = Buffer.isBuffer(options.body) ? options.body : Buffer.from(options.body);
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const hmac = (algorithm: string, data: Buffer | string) => createHmac(algorithm, secret).update(data);
  switch (verify.scheme) {
    case 'standard-webhooks':
    case 'openai': {
      const id = options.id ?? `msg_${randomUUID().replaceAll('-', '')}`;
      const key = standardWebhooksKey(secret);
      if (!key) throw new Error('a Standard Webhooks secret is "whsec_" followed by base64');
      const signature = standardWebhooksSignature(key, id, String(timestamp), body);
      return { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': `v1,${signature}` };
    }
    case 'github':
      return {
        'x-hub-signature-256': `sha256=${hmac('sha256', body).digest('hex')}`,
        'x-github-delivery': options.id ?? randomUUID(),
      };
    case 'stripe': {
      const v1 = createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
      return { 'stripe-signature': `t=${timestamp},v1=${v1}` };
    }
    case 'shopify':
      return {
        'x-shopify-hmac-sha256': hmac('sha256', body).digest('base64'),
        'x-shopify-webhook-id': options.id ?? randomUUID(),
      };
    case 'hmac': {
      const value = (verify.prefix ?? '') + hmac(verify.algorithm ?? 'sha256', body).digest(verify.encoding ?? 'hex');
      return {
        [(verify.header ?? 'x-signature').toLowerCase()]: value,
        [verify.idHeader ?? 'webhook-id']: options.id ?? randomUUID(),
      };
    }
    case 'none':
      return options.id ? { [verify.idHeader ?? 'webhook-id']: options.id } : {};
  }
}
