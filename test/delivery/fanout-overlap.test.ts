import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TableCursorStore } from '../../server/delivery/endpoint-store.ts';
import { eventDeliveryId } from '../../server/delivery/fanout.ts';
import { memoryTables } from '../../server/store/memory-table.ts';
import type { EventQuery, RelayEvent } from '../../server/store/types.ts';
import { nextEvent } from '../helpers/relay-event.ts';
import { endpointRow, fanOutRig } from './rig.ts';

describe('fan-out that runs twice over the same events', () => {
  it('gives each (endpoint, event) one id, different per endpoint', () => {
    const id = eventDeliveryId('ep_a', 'evt_01m8n6q5wb000052c2yqe4');
    assert.equal(id, eventDeliveryId('ep_a', 'evt_01m8n6q5wb000052c2yqe4'));
    assert.notEqual(id, eventDeliveryId('ep_b', 'evt_01m8n6q5wb000052c2yqe4'));
    assert.match(id, /^dlv_01m8n6q5wb000052c2yqe4[0-9a-z]{8}$/);
  });

  it('stores each delivery once when two leaders overlap (a takeover) and the live path repeats an event', async () => {
    const rig = await fanOutRig('ins_overlap');
    const { clock, newId, store, endpoints } = rig;
    await endpoints.save(endpointRow('ep_one', 'http://127.0.0.1:9/never', clock.now() - 1000));
    await endpoints.save(endpointRow('ep_two', 'http://127.0.0.1:9/never', clock.now() - 1000));
    const events: RelayEvent[] = [];
    for (let i = 0; i < 40; i++) {
      events.push(nextEvent(clock, newId, { i }));
    }
    // The event log, paged as the event store pages it.
    const list = async (query: EventQuery) => {
      const data = events.filter((e) => query.after === undefined || e.id > query.after).slice(0, 7);
      const last = data.at(-1)?.id ?? null;
      return { data, has_more: last !== null && last !== events.at(-1)?.id, last_id: last };
    };
    const fanOut = () => rig.fanOut(new TableCursorStore(memoryTables), { list });

    const [first, second] = await Promise.all([fanOut().recover(), fanOut().recover()]);
    assert.equal(first + second, 80, 'both ran over every event, and together created each delivery once');
    const live = fanOut();
    for (const event of events.slice(0, 5)) live.onEvent(event);
    await live.flush();
    for (const id of ['ep_one', 'ep_two']) {
      const rows = store.listForEndpoint(id, { limit: 100 });
      assert.equal(rows.length, 40);
      assert.equal(new Set(rows.map((r) => r.event_id)).size, 40);
    }
  });
});
