import { randomBytes } from 'node:crypto';

// Crockford base32, lower case: ids sort lexicographically in creation order (time first), and the
// random tail keeps them unique across relay instances that share one store.
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

function encode(value: bigint, length: number): string {
  let out = '';
  let rest = value;
  for (let i = 0; i < length; i++) {
    out = ALPHABET[Number(rest & 31n)] + out;
    rest >>= 5n;
  }
  return out;
}

export type IdFactory = (prefix: string) => string;

/** Time (10 chars, ms) + per-process sequence (4 chars) + random (8 chars). */
export function createIdFactory(now: () => number = Date.now, random: (n: number) => Buffer = randomBytes): IdFactory {
  let lastMs = 0;
  let sequence = 0;
  return (prefix) => {
    let ms = now();
    if (ms <= lastMs) {
      ms = lastMs;
      sequence++;
      if (sequence >= 32 ** 4) {
        // 1M ids in one millisecond: borrow the next millisecond rather than lose ordering.
        lastMs = ms = lastMs + 1;
        sequence = 0;
      }
    } else {
      lastMs = ms;
      sequence = 0;
    }
    const tail = BigInt(`0x${random(5).toString('hex')}`);
    return `${prefix}_${encode(BigInt(ms), 10)}${encode(BigInt(sequence), 4)}${encode(tail, 8)}`;
  };
}

/** The millisecond timestamp an id was made at. */
export function idTime(id: string): number {
  const body = id.slice(id.indexOf('_') + 1, id.indexOf('_') + 11);
  let ms = 0;
  for (const ch of body) ms = ms * 32 + ALPHABET.indexOf(ch);
  return ms;
}
