import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IndexedEventStore } from '../../server/store/indexed-event-store.ts';
import { newEvent } from './event-store.contract.ts';

/**
 * A store whose writes all become durable at one moment (one group commit) but whose promises reach
 * the store through different numbers of steps, as a write queued behind a segment roll does next to
 * one that was not.
 */
class OneGroupStore extends IndexedEventStore {
  readonly durable = Promise.withResolvers<void>();
  readonly failing = new Set<number>();
  #calls = 0;
  constructor() {
    super({ retention: { maxEvents: 1000, maxAgeDays: 7 } });
  }
  async open(): Promise<void> {}
  async close(): Promise<void> {}
  protected persist(): Promise<void> {
    const call = this.#calls++;
    const group = this.durable.promise;
    if (this.failing.has(call)) return group.then(() => Promise.reject(new Error('disk full')));
    // Every other write takes the longer way round.
    return call % 2 === 0
      ? group
          .then(() => group)
          .then(() => group)
          .then(() => undefined)
      : group;
  }
  protected async persistRejection(): Promise<void> {}
  async writable(): Promise<boolean> {
    return true;
  }
}

describe('IndexedEventStore', () => {
  it('settles appends in id order when they become durable together, whatever way each write took', async () => {
    const store = new OneGroupStore();
    const settled: string[] = [];
    const appends = Array.from({ length: 6 }, (_, i) =>
      store.append(newEvent({ provider_id: `p${i}` })).then((r) => {
        settled.push(r.event.id);
        return r.event.id;
      }),
    );
    store.durable.resolve();
    const ids = await Promise.all(appends);
    assert.deepEqual(ids, [...ids].sort(), 'ids follow call order');
    assert.deepEqual(settled, ids, 'whoever publishes after an append publishes in id order');
  });

  it('lets a failed write fail alone: the appends after it still settle, in order', async () => {
    const store = new OneGroupStore();
    store.failing.add(1);
    const outcomes: string[] = [];
    const appends = Array.from({ length: 4 }, (_, i) =>
      store.append(newEvent({ provider_id: `q${i}` })).then(
        () => outcomes.push(`ok ${i}`),
        () => outcomes.push(`failed ${i}`),
      ),
    );
    store.durable.resolve();
    await Promise.all(appends);
    assert.deepEqual(outcomes, ['ok 0', 'failed 1', 'ok 2', 'ok 3']);
    assert.equal((await store.list({ limit: 10 })).data.length, 3, 'the failed one is not stored');
  });
});
