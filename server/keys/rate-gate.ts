import { RelayError } from '../errors.ts';
import type { Gate } from '../http/auth.ts';
import type { RateBuckets } from './rate-buckets.ts';

/** `requests_per_minute`: a token bucket per key (burst up to the limit); 429 rate_limited with Retry-After. */
export function rateGate(buckets: RateBuckets): Gate {
  return async function limitRequests(principal, _req, res) {
    const perMinute = principal.limits.requests_per_minute;
    if (!perMinute || principal.keyId === null) return;
    const taken = await buckets.take(`key:${principal.keyId}`, perMinute, 60_000);
    if (taken.ok) return;
    const seconds = Math.max(1, Math.ceil(taken.retryAfterMs / 1000));
    res.set('Retry-After', String(seconds));
    throw new RelayError('rate_limited', `This key may make ${perMinute} requests per minute; retry in ${seconds} s.`);
  };
}
