import { RelayError } from './errors.ts';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;

/**
 * Whether JSON text nests arrays and objects more than `max` levels deep, read from the bytes with a
 * loop (no recursion, no parse). JSON.parse takes any depth, but JSON.stringify and everything else
 * that walks the value recursively overflows the stack a few thousand levels down (issue 14, item 5).
 * Text that is not JSON gets an answer too; JSON.parse refuses it afterwards.
 */
export function exceedsJsonDepth(bytes: Buffer, max: number): boolean {
  // Nesting deeper than `max` takes more than `max` bytes: the common small body costs nothing.
  if (bytes.length <= max) return false;
  const length = bytes.length;
  let depth = 0;
  let inString = false;
  // One tight loop (no calls per string): this runs on every JSON body before JSON.parse.
  for (let i = 0; i < length; i++) {
    const c = bytes[i];
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (++depth > max) return true;
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) {
      depth--;
    }
  }
  return false;
}

export function jsonTooDeep(max: number): RelayError {
  return new RelayError(
    'json_too_deep',
    `The JSON body nests arrays and objects more than ${max} levels deep (limits.jsonDepth).`,
  );
}

/** Throws `json_too_deep` for JSON text past the depth limit. */
export function assertJsonDepth(bytes: Buffer, max: number): void {
  if (exceedsJsonDepth(bytes, max)) throw jsonTooDeep(max);
}
