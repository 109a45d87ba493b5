import { createHash, timingSafeEqual } from 'node:crypto';

/** Constant-time string comparison; hashing first keeps the comparison length-independent. */
export function safeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb) && a.length === b.length;
}

/** How keys and subscriber tokens are kept at rest: their SHA-256, hex. */
export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');
