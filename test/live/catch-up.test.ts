import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createEventBus } from '../../server/bus.ts';
import { createEventService } from '../../server/events/event-service.ts';
import { catchUp } from '../../server/live/catch-up.ts';
import { MemoryEventStore } from '../../server/store/memory-event-store.ts';
import type { RelayEvent } from '../../server/store/types.ts';

async function relayParts() {
  const store = new MemoryEventStore({ retention: { maxEvents: 100_000, maxAgeDays: 7 } });
  await store.open();
  const bus = createEventBus((error) => {
    throw error;
  });
  const events = createEventService(store, bus);
  const emit = (n: number) => events.emit({ source: 'a', type: 'n', payload: { n } });
  return { store, bus, events, emit };
}

/** Replays after `after` into `seen`; `duringReplay` runs when the backlog event `at` is sent. */
async function follow(
  parts: Awaited<ReturnType<typeof relayParts>>,
  after: string,
  at: string,
  duringReplay: () => Promise<void>,
  pageSize = 2,
) {
  const seen: string[] = [];
  let live = false;
  parts.bus.subscribe((event) => {
    if (live) seen.push(event.id);
  });
  await catchUp({
    store: parts.store,
    bus: parts.bus,
    after,
    query: {},
    matches: () => true,
    async replay(event: RelayEvent) {
      seen.push(event.id);
      if (event.id === at) await duringReplay();
    },
    closed: () => false,
    goLive(pending) {
      seen.push(...pending.map((e) => e.id));
      live = true;
    },
    pageSize,
    maxPending: 1000,
  });
  return seen;
}

const ids = async (parts: Awaited<ReturnType<typeof relayParts>>) =>
  (await parts.store.list({ limit: 1000 })).data.map((e) => e.id);

describe('catching up from a cursor', () => {
  it('hands over to live without a gap or a duplicate when events arrive during the replay', async () => {
    const parts = await relayParts();
    const cursor = (await parts.emit(0)).id;
    for (let n = 1; n < 5; n++) await parts.emit(n);
    const last = (await parts.emit(5)).id;
    // Events stored after the last page was read reach the subscriber only through the live hand-over.
    const seen = await follow(parts, cursor, last, async () => {
      for (let n = 6; n <= 9; n++) await parts.emit(n);
    });
    await parts.emit(10);
    assert.deepEqual(seen, (await ids(parts)).slice(1));
  });

  it('sends an event once when it is read in a page and published on the bus afterwards', async () => {
    const parts = await relayParts();
    const cursor = (await parts.emit(0)).id;
    const backlog = (await parts.emit(1)).id;
    // Stored (so the next page reads it) but published only after that read: the window between the
    // store's write and the bus.
    let late: RelayEvent | undefined;
    const seen = await follow(
      parts,
      cursor,
      backlog,
      async () => {
        late = (await parts.store.append({ ...newEvent(), payload: { n: 2 } })).event;
        await parts.store.list({ limit: 1 });
      },
      1,
    );
    parts.bus.publish(late as RelayEvent);
    assert.deepEqual(seen, (await ids(parts)).slice(1));
  });

  it('keeps memory bounded: pending live events beyond the limit are read from the store instead', async () => {
    const parts = await relayParts();
    const cursor = (await parts.emit(0)).id;
    await parts.emit(1);
    const seen: string[] = [];
    let first = true;
    await catchUp({
      store: parts.store,
      bus: parts.bus,
      after: cursor,
      query: {},
      matches: () => true,
      async replay(event) {
        seen.push(event.id);
        if (first) {
          first = false;
          for (let n = 2; n < 30; n++) await parts.emit(n);
        }
      },
      closed: () => false,
      goLive: (pending) => seen.push(...pending.map((e) => e.id)),
      pageSize: 5,
      maxPending: 3,
    });
    assert.deepEqual(seen, (await ids(parts)).slice(1));
  });
});

function newEvent() {
  return {
    source: 'a',
    type: 'n',
    provider_id: null,
    headers: {},
    payload: {},
    verified: { scheme: 'internal' },
    raw: Buffer.from('{}'),
    content_type: 'application/json',
  };
}
