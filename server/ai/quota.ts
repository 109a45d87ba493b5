import { RelayError } from '../errors.ts';
import type { Principal } from '../principals.ts';
import type { UsageStore } from './usage.ts';
import { serviceKey } from '../../plugins/sdk.ts';

/** Service name: batches record their lines' tokens with the key's usage. */
export type AiUsage = Pick<UsageStore, 'record'>;
export const AI_USAGE = serviceKey<AiUsage>('ai.usage');

/** Service name: batches check the same quota before they start. */
export interface AiQuota {
  /** Throws 429 insufficient_quota (OpenAI's shape) when the key used up its daily or monthly tokens. */
  check(principal: Principal): void;
}
export const AI_QUOTA = serviceKey<AiQuota>('ai.quota');

/**
 * `ai_tokens_per_day` / `ai_tokens_per_month` (UTC): usage is counted when a response finishes, so
 * a key can go over by what its responses already running use; the next one is refused.
 */
export function createAiQuota(usage: UsageStore, now: () => number): AiQuota {
  return {
    check(principal) {
      const { ai_tokens_per_day: perDay, ai_tokens_per_month: perMonth } = principal.limits;
      if (principal.keyId === null || (!perDay && !perMonth)) return;
      const today = new Date(now()).toISOString().slice(0, 10);
      if (perDay && usage.tokensOf(principal.keyId, today, today) >= perDay) throw exceeded('day', perDay);
      if (perMonth && usage.tokensOf(principal.keyId, `${today.slice(0, 8)}01`, today) >= perMonth) {
        throw exceeded('month', perMonth);
      }
    },
  };
}

function exceeded(period: 'day' | 'month', limit: number): RelayError {
  return new RelayError(
    'insufficient_quota',
    `This key has used its ${limit} AI tokens for this ${period} (UTC); ask an admin to raise ai_tokens_per_${period}.`,
    { type: 'insufficient_quota', param: null },
  );
}
