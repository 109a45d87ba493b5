import type { KeyLimits } from '../principals.ts';

/** The `keys` service: a key's current limits, for work that runs after its request (AI concurrency). */
export const KEYS_SERVICE = 'keys';
export interface KeysService {
  limitsOf(keyId: string): KeyLimits;
}
