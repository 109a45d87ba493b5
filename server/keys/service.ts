import type { KeyLimits } from '../principals.ts';
import { serviceKey } from '../../plugins/sdk.ts';

/** The `keys` service: a key's current limits, for work that runs after its request (AI concurrency). */
export interface KeysService {
  limitsOf(keyId: string): KeyLimits;
}
export const KEYS_SERVICE = serviceKey<KeysService>('keys');
