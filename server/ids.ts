import { randomBytes } from 'node:crypto';

// Crockford base32, lower case: ids sort lexicographically in creation order (time first), and the
// random tail keeps them unique across relay instances that share one store.
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

/** `length` base32 digits of a non-negative integer below 2^53 (every part of an id fits). */
function encode(value: number, length: number): string {
  let out = '';
  let rest = value;
  for (let i = 0; i < length; i++) {
    out = ALPHABET[rest % 32] + out;
    rest = Math.floor(rest / 32);
  }
  return out;
}

/**
 * Random bytes taken from a pool refilled 4 KiB at a time: one call into the CSPRNG per ~800 ids
 * instead of one per id, which showed up in ingest profiles.
 */
function pooledRandom(): (n: number) => Buffer {
  let pool = Buffer.alloc(0);
  let offset = 0;
  return (n) => {
    if (offset + n > pool.length) {
      pool = randomBytes(4096);
      offset = 0;
    }
    offset += n;
    return pool.subarray(offset - n, offset);
  };
}

export type IdFactory = (prefix: string) => string;

/** Time (10 chars, ms) + per-process sequence (4 chars) + random (8 chars, 40 bits). */
export function createIdFactory(now: () => number = Date.now, random: (n: number) => Buffer = pooledRandom()): IdFactory {
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
    const tail = random(5).readUIntBE(0, 5);
    return `${prefix}_${encode(ms, 10)}${encode(sequence, 4)}${encode(tail, 8)}`;
  };
}

/** The millisecond timestamp an id was made at. */
export function idTime(id: string): number {
  const body = id.slice(id.indexOf('_') + 1, id.indexOf('_') + 11);
  let ms = 0;
  for (const ch of body) ms = ms * 32 + ALPHABET.indexOf(ch);
  return ms;
}

/** The smallest id made at or after `ms`: ids of events received before `ms` sort below it. */
export function idFloor(prefix: string, ms: number): string {
  return `${prefix}_${encode(Math.max(0, ms), 10)}`;
}
