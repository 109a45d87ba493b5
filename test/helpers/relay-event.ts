import type { IdFactory } from '../../server/ids.ts';
import type { RelayEvent } from '../../server/store/types.ts';
import type { FakeClock } from './fake-clock.ts';

/** A stored-looking event one millisecond after the clock's last one (the clock moves on by 1 ms). */
export function nextEvent(clock: FakeClock, newId: IdFactory, payload: Record<string, unknown> = {}): RelayEvent {
  clock.advance(1);
  return {
    id: newId('evt'),
    source: 'dev',
    type: 't',
    received_at: new Date(clock.now()).toISOString(),
    provider_id: null,
    headers: {},
    payload,
    verified: { scheme: 'none' },
  };
}
