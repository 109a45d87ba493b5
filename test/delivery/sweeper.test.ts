import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TableDeliveryStore } from '../../server/delivery/delivery-store.ts';
import { newDelivery } from '../../server/delivery/fanout.ts';
import { createIdFactory } from '../../server/ids.ts';
import { memoryTables } from '../../server/store/memory-table.ts';
import { waitFor } from '../helpers/wait.ts';
import { FakeClock } from '../helpers/fake-clock.ts';
import { deliveryRig, endpointRow } from './rig.ts';
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
    const { store, endpoints, engine, coordination } = deliveryRig(clock, 'ins_sweep', {
      getRaw: async () => ({ raw: Buffer.from('{"type":"lost"}'), content_type: 'application/json' }),
    });
    const endpoint = endpointRow('ep_sweep', `${receiver.url}/swept`, clock.now());
    const { secret } = endpoint;
    await endpoints.save(endpoint);
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
    assert.deepEqual(store.listForEvent(rows[0].event_id), [], 'a pruned delivery leaves the event index too');
    assert.deepEqual(
      store.listForEvent(rows[5].event_id).map((r) => r.id),
      [rows[5].id],
    );
  });

  it('lists every delivery of an event, across endpoints and origins, oldest first', async () => {
    const clock = new FakeClock(2_000_000);
    const newId = createIdFactory(() => clock.now());
    const store = new TableDeliveryStore(memoryTables);
    const event = { id: newId('evt'), source: 'dev', type: 't' };
    const other = { id: newId('evt'), source: 'dev', type: 't' };
    const deps = { clock, newId, attempts: () => 8 };
    clock.advance(1);
    const fanned = newDelivery(deps, event, { endpointId: 'ep_a' }, 'event');
    clock.advance(1);
    const unrelated = newDelivery(deps, other, { endpointId: 'ep_a' }, 'event');
    clock.advance(1);
    const replayed = newDelivery(deps, event, { endpointId: 'ep_b' }, 'replay');
    await store.save([replayed, unrelated, fanned]);
    // Saving a row again (its next attempt) does not list it twice.
    await store.save([{ ...fanned, status: 'succeeded', finished_at: clock.now() }]);
    assert.deepEqual(
      store.listForEvent(event.id).map((r) => [r.id, r.status]),
      [
        [fanned.id, 'succeeded'],
        [replayed.id, 'pending'],
      ],
    );
    assert.deepEqual(store.listForEvent('evt_none'), []);
  });
});
