import type { VerifyConfig } from '../../config/types.ts';
import { ConfigError } from '../../errors.ts';
import { header, type Verifier } from './verifier.ts';

/** No verification: refused unless the source says `insecure: true`, and start-up warns about it. */
export function noneVerifier(config: VerifyConfig, at: string, insecure: boolean): Verifier {
  if (!insecure) {
    throw new ConfigError(at, 'scheme "none" accepts unsigned requests; add `insecure: true` to the source to allow it');
  }
  const idHeader = config.idHeader ?? 'webhook-id';
  return {
    scheme: 'none',
    verify: (request) => ({ scheme: 'none', providerId: header(request, idHeader) ?? null }),
  };
}
