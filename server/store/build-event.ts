import { type IdFactory, idTime } from '../ids.ts';
import type { NewEvent, RelayEvent } from './types.ts';

/** The last date formatted, to the second: events arrive many to a second, and toISOString is not cheap. */
let secondCached = Number.NaN;
let secondText = '';
/** Dates toISOString writes with a four-digit year (0000 to 9999): the only ones the cache handles. */
const LAST_FOUR_DIGIT_MS = 253_402_300_799_999;

/** `new Date(ms).toISOString()`, from the second's text when the last call was in the same second. */
export function isoTime(ms: number): string {
  if (!Number.isInteger(ms) || ms < 0 || ms > LAST_FOUR_DIGIT_MS) return new Date(ms).toISOString();
  const second = Math.floor(ms / 1000);
  if (second !== secondCached) {
    secondText = new Date(second * 1000).toISOString().slice(0, 20); // "YYYY-MM-DDTHH:mm:ss."
    secondCached = second;
  }
  const milli = ms - second * 1000;
  return `${secondText}${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`;
}

/** The stored shape of a new event: every store assigns the id (time-sortable) and received_at the same way. */
export function buildEvent(input: NewEvent, newId: IdFactory): RelayEvent {
  const id = newId('evt');
  return {
    id,
    source: input.source,
    type: input.type,
    received_at: isoTime(idTime(id)),
    provider_id: input.provider_id,
    headers: input.headers,
    payload: input.payload,
    verified: input.verified,
  };
}
