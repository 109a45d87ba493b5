import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TableCursorStore } from '../../server/delivery/endpoint-store.ts';
import { memoryTables } from '../../server/store/memory-table.ts';
import type { EventQuery, RelayEvent } from '../../server/store/types.ts';
import { nextEvent } from '../helpers/relay-event.ts';
import { endpointRow, fanOutRig } from './rig.ts';

describe('the fan-out cursor', () => {
  it('stays put while there is no endpoint, and recovery still reaches events after the first endpoint', async () => {
    const rig = await fanOutRig('ins_cursor');
    const { clock, newId, store, endpoints } = rig;
    const events: RelayEvent[] = [];
    const stored = (): RelayEvent => {
      const event = nextEvent(clock, newId);
      events.push(event);
      return event;
    };
    const list = async (query: EventQuery) => {
      const data = events.filter((e) => query.after === undefined || e.id > query.after).slice(0, query.limit);
      return { data, has_more: false, last_id: data.at(-1)?.id ?? null };
    };
    const cursor = new TableCursorStore(memoryTables);
    const fanOut = () => rig.fanOut(cursor, { list });

    const live = fanOut();
    for (let i = 0; i < 5; i++) live.onEvent(stored());
    clock.advance(2000);
    await live.flush();
    assert.equal(cursor.get(), null, 'with no endpoint the cursor was written');

    // An endpoint appears; two events are stored, and the relay stops before it fans them out.
    clock.advance(1);
    await endpoints.save(endpointRow('ep_later', 'http://127.0.0.1:9/never', clock.now()));
    const missed = [stored(), stored()];
    assert.equal(await fanOut().recover(), 2, 'recovery from the unmoved cursor missed events after the endpoint');
    assert.deepEqual(
      store
        .listForEndpoint('ep_later', { limit: 10 })
        .map((d) => d.event_id)
        .sort(),
      missed.map((e) => e.id),
    );

    // With an endpoint, live events move the cursor again.
    const next = stored();
    live.onEvent(next);
    await live.flush();
    assert.equal(cursor.get(), next.id);
  });
});
