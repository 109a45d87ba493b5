import { type IdFactory, idTime } from '../ids.ts';
import type { NewEvent, RelayEvent } from './types.ts';

/** The stored shape of a new event: every store assigns the id (time-sortable) and received_at the same way. */
export function buildEvent(input: NewEvent, newId: IdFactory): RelayEvent {
  const id = newId('evt');
  return {
    id,
    source: input.source,
    type: input.type,
    received_at: new Date(idTime(id)).toISOString(),
    provider_id: input.provider_id,
    headers: input.headers,
    payload: input.payload,
    verified: input.verified,
  };
}
