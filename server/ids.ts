import { randomBytes } from 'node:crypto';

// Crockford base32, lower case: ids sort lexicographically in creation order (time first), and the
// random tail keeps them unique across relay instances that share one store.
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

/** Digits of an id's time part: 10 base32 digits hold any millisecond timestamp until the year 10889. */
const TIME_DIGITS = 10;

/** `length` base32 digits of a non-negative integer below 2^53 (every part of an id fits). */
export function base32(value: number, length: number): string {
  let out = '';
  let rest = value;
  for (let i = 0; i < length; i++) {
    out = ALPHABET[rest % 32] + out;
    rest = Math.floor(rest / 32);
  }
  return out;
}

/** One base32 digit per byte (its low 5 bits) of the first `count` bytes: a hash as id digits. */
export function base32OfBytes(bytes: Uint8Array, count: number): string {
  let out = '';
  for (let i = 0; i < count; i++) out += ALPHABET[bytes[i] % 32];
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
    return `${prefix}_${base32(ms, TIME_DIGITS)}${base32(sequence, 4)}${base32(tail, 8)}`;
  };
}

/** Everything after an id's prefix (`evt_01kb…` → `01kb…`): its time digits first. */
export function idBody(id: string): string {
  return id.slice(id.indexOf('_') + 1);
}

/** The base32 time digits an id starts with (after its prefix). */
export function idTimeDigits(id: string): string {
  return idBody(id).slice(0, TIME_DIGITS);
}

/** Each character code's base32 value (-1 for a character outside the alphabet). */
const DIGIT_VALUES = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DIGIT_VALUES[ALPHABET.charCodeAt(i)] = i;

/**
 * The millisecond timestamp an id was made at. Read with character codes, not by slicing: it runs for
 * every event stored (its received_at, retention) and every event matched against an endpoint.
 */
export function idTime(id: string): number {
  const start = id.indexOf('_') + 1;
  const end = Math.min(start + TIME_DIGITS, id.length);
  let ms = 0;
  for (let i = start; i < end; i++) {
    const code = id.charCodeAt(i);
    ms = ms * 32 + (code < 128 ? DIGIT_VALUES[code] : -1);
  }
  return ms;
}

/** The smallest id made at or after `ms`: ids of events received before `ms` sort below it. */
export function idFloor(prefix: string, ms: number): string {
  return `${prefix}_${base32(Math.max(0, ms), TIME_DIGITS)}`;
}

/** Above every id made before `ms` and below every id made at or after it: an `after` cursor for `ms`. */
export function idBefore(prefix: string, ms: number): string {
  return `${idFloor(prefix, Math.floor(ms) - 1)}zzzzzzzzzzzz`;
}
