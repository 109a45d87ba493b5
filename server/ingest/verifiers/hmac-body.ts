import { createHmac, createSecretKey } from 'node:crypto';
import { sameSignature } from '../../crypto.ts';
import type { VerifyConfig } from '../../config/types.ts';
import { ConfigError } from '../../errors.ts';
import { header, invalid, missing, type IncomingWebhook, type Verifier } from './verifier.ts';

interface BodyHmacOptions {
  scheme: string;
  header: string;
  algorithm: string;
  encoding: 'hex' | 'base64';
  prefix: string;
  idHeader?: string;
}

/** HMAC over the raw body, carried in one header: GitHub, Shopify and the generic `hmac` scheme. */
function bodyHmacVerifier(config: VerifyConfig, at: string, options: BodyHmacOptions): Verifier {
  if (config.secrets.length === 0) throw new ConfigError(`${at}.secrets`, 'expected at least one secret');
  const { scheme, algorithm, encoding, prefix } = options;
  // Key objects made once: createHmac with a string key builds one per call, most of its cost.
  const keys = config.secrets.map((secret) => createSecretKey(Buffer.from(secret)));
  return {
    scheme,
    verify(request: IncomingWebhook) {
      const value = header(request, options.header);
      if (!value) throw missing(options.header);
      // Hex digests are compared case-insensitively: some senders upper-case them.
      const normal = (s: string) => (encoding === 'hex' ? s.toLowerCase() : s);
      const candidates = value.split(',').map((s) => normal(s.trim()));
      for (const key of keys) {
        const expected = normal(prefix + createHmac(algorithm, key).update(request.body).digest(encoding));
        if (candidates.some((c) => sameSignature(c, expected))) {
          return { scheme, providerId: options.idHeader ? (header(request, options.idHeader) ?? null) : null };
        }
      }
      throw invalid();
    },
  };
}

export const githubVerifier = (config: VerifyConfig, at: string): Verifier =>
  bodyHmacVerifier(config, at, {
    scheme: 'github',
    header: 'x-hub-signature-256',
    algorithm: 'sha256',
    encoding: 'hex',
    prefix: 'sha256=',
    idHeader: 'x-github-delivery',
  });

export const shopifyVerifier = (config: VerifyConfig, at: string): Verifier =>
  bodyHmacVerifier(config, at, {
    scheme: 'shopify',
    header: 'x-shopify-hmac-sha256',
    algorithm: 'sha256',
    encoding: 'base64',
    prefix: '',
    idHeader: 'x-shopify-webhook-id',
  });

export function genericHmacVerifier(config: VerifyConfig, at: string): Verifier {
  if (!config.header) throw new ConfigError(`${at}.header`, 'the hmac scheme needs the header that carries the signature');
  return bodyHmacVerifier(config, at, {
    scheme: 'hmac',
    header: config.header,
    algorithm: config.algorithm ?? 'sha256',
    encoding: config.encoding ?? 'hex',
    prefix: config.prefix ?? '',
    idHeader: config.idHeader ?? 'webhook-id',
  });
}
