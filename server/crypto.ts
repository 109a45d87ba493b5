import { createHash, timingSafeEqual } from 'node:crypto';

/** Constant-time string comparison; hashing first keeps the comparison length-independent. */
export function safeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb) && a.length === b.length;
}

/**
 * Constant-time comparison of a presented signature with the one computed here. A digest's length is
 * no secret (every SHA-256 signature in an encoding has the same one), so unlike safeEqual this skips
 * hashing both sides: it runs on every webhook, once per presented signature.
 */
export function sameSignature(presented: string, expected: string): boolean {
  if (presented.length !== expected.length) return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** How keys and subscriber tokens are kept at rest: their SHA-256, hex. */
export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');
