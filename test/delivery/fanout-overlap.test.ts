import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LocalCluster } from '../../server/cluster/cluster.ts';
import { DeliveryClaims } from '../../server/delivery/claims.ts';
import { DELIVERY_DEFAULTS } from '../../server/delivery/config.ts';
import { DeliveryCoordination } from '../../server/delivery/coordination.ts';
import { TableDeliveryStore } from '../../server/delivery/delivery-store.ts';
import { createDestinationPolicy } from '../../server/delivery/destination-policy.ts';
import { TableCursorStore, TableEndpointStore } from '../../server/delivery/endpoint-store.ts';
import { DeliveryEngine } from '../../server/delivery/engine.ts';
import { eventDeliveryId, FanOut } from '../../server/delivery/fanout.ts';
import type { EndpointHealth } from '../../server/delivery/health.ts';
import { generateSecret } from '../../server/delivery/signing.ts';
import type { EndpointRow } from '../../server/delivery/types.ts';
import { createIdFactory } from '../../server/ids.ts';
import { createLogger } from '../../server/ops/logger.ts';
import { memoryTables } from '../../server/store/memory-table.ts';
import type { EventQuery, RelayEvent } from '../../server/store/types.ts';
import { FakeClock } from '../helpers/fake-clock.ts';

function endpoint(id: string, createdAt: number): EndpointRow {
  return {
    id,
    url: 'http://127.0.0.1:9/never',
    description: '',
    filter: { sources: null, types: null },
    headers: {},
    enabled: true,
    disabled_reason: null,
    disabled_at: null,
    concurrency: null,
    rate_limit: null,
    ordered: false,
    secret: generateSecret(),
    previous_secrets: [],
    created_at: createdAt,
    updated_at: createdAt,
    failing_since: null,
    last_error: null,
  };
}

describe('fan-out that runs twice over the same events', () => {
  it('gives each (endpoint, event) one id, different per endpoint', () => {
    const id = eventDeliveryId('ep_a', 'evt_01m8n6q5wb000052c2yqe4');
    assert.equal(id, eventDeliveryId('ep_a', 'evt_01m8n6q5wb000052c2yqe4'));
    assert.notEqual(id, eventDeliveryId('ep_b', 'evt_01m8n6q5wb000052c2yqe4'));
    assert.match(id, /^dlv_01m8n6q5wb000052c2yqe4[0-9a-z]{8}$/);
  });

  it('stores each delivery once when two leaders overlap (a takeover) and the live path repeats an event', async () => {
    const clock = new FakeClock();
    const newId = createIdFactory(() => clock.now());
    const logger = createLogger({ level: 'silent' });
    const store = new TableDeliveryStore(memoryTables);
    const endpoints = new TableEndpointStore(memoryTables);
    await endpoints.save(endpoint('ep_one', clock.now() - 1000));
    await endpoints.save(endpoint('ep_two', clock.now() - 1000));
    const events: RelayEvent[] = [];
    for (let i = 0; i < 40; i++) {
      clock.advance(1);
      events.push({
        id: newId('evt'),
        source: 'dev',
        type: 't',
        received_at: new Date(clock.now()).toISOString(),
        provider_id: null,
        headers: {},
        payload: { i },
        verified: { scheme: 'none' },
      });
    }
    // The event log, paged as the event store pages it.
    const list = async (query: EventQuery) => {
      const data = events.filter((e) => query.after === undefined || e.id > query.after).slice(0, 7);
      const last = data.at(-1)?.id ?? null;
      return { data, has_more: last !== null && last !== events.at(-1)?.id, last_id: last };
    };
    const cluster = new LocalCluster('ins_overlap');
    const claims = new DeliveryClaims(cluster, () => {});
    const engine = new DeliveryEngine({
      settings: DELIVERY_DEFAULTS,
      clock,
      fetch,
      policy: createDestinationPolicy({}),
      store,
      endpoints,
      events: { getRaw: async () => undefined },
      health: () => ({}) as EndpointHealth,
      metrics: () => null,
      logger,
      claims,
    });
    await engine.stop(); // only creation is under test: nothing is sent
    const coordination = new DeliveryCoordination({ cluster, claims, store, engine, clock, logger });
    const fanOut = () =>
      new FanOut({
        clock,
        newId,
        logger,
        store,
        endpoints,
        cursor: new TableCursorStore(memoryTables),
        events: { list },
        attempts: () => 8,
        create: (rows) => coordination.create(rows),
      });

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
