import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { LocalCluster } from '../../server/cluster/cluster.ts';
import { DeliveryClaims } from '../../server/delivery/claims.ts';
import { DELIVERY_DEFAULTS } from '../../server/delivery/config.ts';
import { DeliveryCoordination } from '../../server/delivery/coordination.ts';
import { TableDeliveryStore } from '../../server/delivery/delivery-store.ts';
import { createDestinationPolicy } from '../../server/delivery/destination-policy.ts';
import { TableEndpointStore } from '../../server/delivery/endpoint-store.ts';
import { DeliveryEngine } from '../../server/delivery/engine.ts';
import { newDelivery } from '../../server/delivery/fanout.ts';
import type { EndpointHealth } from '../../server/delivery/health.ts';
import { generateSecret } from '../../server/delivery/signing.ts';
import { createIdFactory } from '../../server/ids.ts';
import { createLogger } from '../../server/ops/logger.ts';
import { memoryTables } from '../../server/store/memory-table.ts';
import { waitFor } from '../helpers/wait.ts';
import { FakeClock } from '../helpers/fake-clock.ts';
import { Receiver } from './receiver.ts';

describe('the sweeper', () => {
  let receiver: Receiver;
  before(async () => {
    receiver = await new Receiver().start();
  });
  after(() => receiver.stop());

  it('re-queues a pending delivery that no lane holds, and leaves queued or finished ones alone', async () => {
    const clock = new FakeClock();
    const newId = createIdFactory(() => clock.now());
    const store = new TableDeliveryStore(memoryTables);
    const endpoints = new TableEndpointStore(memoryTables);
    const secret = generateSecret();
    const now = clock.now();
    await endpoints.save({
      id: 'ep_sweep',
      url: `${receiver.url}/swept`,
      description: '',
      filter: { sources: null, types: null },
      headers: {},
      enabled: true,
      disabled_reason: null,
      disabled_at: null,
      concurrency: null,
      rate_limit: null,
      ordered: false,
      secret,
      previous_secrets: [],
      created_at: now,
      updated_at: now,
      failing_since: null,
      last_error: null,
    });
    const noHealth = { succeeded: async () => {}, failed: async () => {} } as unknown as EndpointHealth;
    const cluster = new LocalCluster('ins_sweep');
    const claims = new DeliveryClaims(cluster, () => {});
    const logger = createLogger({ level: 'silent' });
    const engine = new DeliveryEngine({
      settings: DELIVERY_DEFAULTS,
      clock,
      fetch,
      policy: createDestinationPolicy({}),
      store,
      endpoints,
      events: { getRaw: async () => ({ raw: Buffer.from('{"type":"lost"}'), content_type: 'application/json' }) },
      health: () => noHealth,
      metrics: () => null,
      logger,
      claims,
    });
    const coordination = new DeliveryCoordination({ cluster, claims, store, engine, clock, logger });
    const deps = { clock, newId, attempts: () => 8 };
    // Written as a crash or a lost wake-up would leave it: pending, but in no lane.
    const lost = newDelivery(deps, { id: newId('evt'), source: 'dev', type: 'lost' }, { endpointId: 'ep_sweep' }, 'event');
    const done = {
      ...newDelivery(deps, { id: newId('evt'), source: 'dev', type: 'x' }, { endpointId: 'ep_sweep' }, 'event'),
      status: 'succeeded' as const,
    };
    await store.save([lost, done]);
    receiver.secrets = [secret];

    assert.equal(await coordination.sweep(), 1);
    await waitFor('the swept delivery', () => receiver.received.find((r) => r.path === '/swept'));
    await waitFor('it to be recorded', () => store.get(lost.id)?.status === 'succeeded');
    assert.equal(await coordination.sweep(), 0, 'nothing left to find');
    assert.deepEqual(receiver.received[0].verifiedWith, [secret]);
    await engine.stop();
  });

  it('prunes finished deliveries by age and by count, never pending ones', async () => {
    const clock = new FakeClock(1_000_000);
    const newId = createIdFactory(() => clock.now());
    const store = new TableDeliveryStore(memoryTables);
    const rows = [];
    for (let i = 0; i < 6; i++) {
      clock.advance(1000);
      const row = newDelivery(
        { clock, newId, attempts: () => 8 },
        { id: newId('evt'), source: 'dev', type: 't' },
        { endpointId: 'ep_p' },
        'event',
      );
      rows.push(i === 5 ? row : { ...row, status: 'succeeded' as const, finished_at: clock.now() });
    }
    await store.save(rows);
    assert.equal(await store.prune(rows[1].created_at + 1, 100), 2, 'the two finished before the time');
    assert.equal(await store.prune(0, 2), 1, 'the oldest beyond two finished');
    const left = store.listForEndpoint('ep_p', { limit: 10 }).map((r) => r.id);
    assert.deepEqual(left, [rows[5].id, rows[4].id, rows[3].id]);
    assert.equal(store.pendingCount(), 1);
    assert.equal(store.findForEvent('ep_p', rows[0].event_id), undefined);
  });
});
