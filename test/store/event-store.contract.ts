import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { EventStore, NewEvent, RetentionPolicy } from '../../server/store/types.ts';

export interface StoreSetup {
  retention?: RetentionPolicy;
  now?: () => number;
  maxRejections?: number;
}

export interface StoreHarness {
  store: EventStore;
  /** Closes this store and opens a new one on the same files; absent for stores that keep nothing. */
  reopen?: () => Promise<EventStore>;
}

export type MakeStore = (setup: StoreSetup) => Promise<StoreHarness>;

const DAY_MS = 86_400_000;

export function newEvent(overrides: Partial<NewEvent> = {}): NewEvent {
  const payload = overrides.payload ?? { type: overrides.type ?? 'thing.happened', n: Math.random() };
  const raw = overrides.raw ?? Buffer.from(JSON.stringify(payload));
  return {
    source: 'src',
    type: 'thing.happened',
    provider_id: null,
    headers: { 'content-type': 'application/json' },
    payload,
    verified: { scheme: 'none' },
    raw,
    content_type: 'application/json',
    ...overrides,
  };
}

/** The behaviour every EventStore implementation must have (style.md §1: one suite, every implementation). */
export function eventStoreContract(name: string, make: MakeStore): void {
  describe(`EventStore contract: ${name}`, () => {
    const opened: EventStore[] = [];
    after(async () => {
      for (const store of opened) await store.close();
    });
    async function fresh(setup: StoreSetup = {}): Promise<StoreHarness> {
      const harness = await make(setup);
      opened.push(harness.store);
      return harness;
    }

    it('assigns an evt_ id and received_at, and keeps what it was given', async () => {
      const { store } = await fresh();
      const { event, duplicate } = await store.append(newEvent({ provider_id: 'p1', headers: { a: 'b' } }));
      assert.equal(duplicate, false);
      assert.match(event.id, /^evt_[0-9a-z]{22}$/);
      assert.ok(Date.parse(event.received_at) > 0);
      assert.deepEqual(await store.get(event.id), event);
      assert.equal(event.provider_id, 'p1');
      assert.deepEqual(event.headers, { a: 'b' });
    });

    it('gives ids that sort in arrival order, also for concurrent appends', async () => {
      const { store } = await fresh();
      const sequential = [];
      for (let i = 0; i < 5; i++) sequential.push((await store.append(newEvent())).event.id);
      const concurrent = await Promise.all(Array.from({ length: 50 }, () => store.append(newEvent())));
      const ids = [...sequential, ...concurrent.map((r) => r.event.id)];
      assert.deepEqual([...ids].sort(), ids);
      const listed = (await store.list({ limit: 1000 })).data.map((e) => e.id);
      assert.deepEqual(listed, ids);
    });

    it('answers the same (source, provider id) with the first event, and keeps one', async () => {
      const { store } = await fresh();
      const first = await store.append(newEvent({ provider_id: 'dup' }));
      const again = await store.append(newEvent({ provider_id: 'dup', payload: { other: true } }));
      assert.equal(again.duplicate, true);
      assert.equal(again.event.id, first.event.id);
      const otherSource = await store.append(newEvent({ source: 'other', provider_id: 'dup' }));
      assert.equal(otherSource.duplicate, false);
      const noId = await Promise.all([store.append(newEvent()), store.append(newEvent())]);
      assert.notEqual(noId[0].event.id, noId[1].event.id);
      assert.equal(await store.count(), 4);
    });

    it('stores concurrent appends with one provider id exactly once', async () => {
      const { store } = await fresh();
      const results = await Promise.all(Array.from({ length: 20 }, () => store.append(newEvent({ provider_id: 'race' }))));
      assert.equal(results.filter((r) => !r.duplicate).length, 1);
      assert.equal(new Set(results.map((r) => r.event.id)).size, 1);
      assert.equal(await store.count(), 1);
    });

    it('returns the original bytes and content type exactly, binary included', async () => {
      const { store } = await fresh();
      const raw = Buffer.from([0xff, 0x00, 0xfe, 0x0a, 0x22, 0x5c, 0xc3]);
      const { event } = await store.append(newEvent({ raw, content_type: 'application/octet-stream', payload: null }));
      const body = await store.getRaw(event.id);
      assert.ok(body);
      assert.ok(body.raw.equals(raw));
      assert.equal(body.content_type, 'application/octet-stream');
      const text = Buffer.from('\ufeff{"q":"\\"quoted\\" \\\\ ✓ 🚀\\n","crlf":"a\r\nb"}\r\n', 'utf8');
      const utf8 = await store.append(newEvent({ raw: text, payload: null }));
      assert.ok((await store.getRaw(utf8.event.id))?.raw.equals(text), 'UTF-8 bytes, BOM and CRLF kept exactly');
      assert.equal(await store.get('evt_missing'), undefined);
      assert.equal(await store.getRaw('evt_missing'), undefined);
    });

    it('answers concurrent raw reads each with its own event, a missing id and repeats included', async () => {
      const { store } = await fresh();
      const bodies = Array.from({ length: 30 }, (_, i) => Buffer.from(`{"n":${i},"pad":"${'x'.repeat(i)}"}`));
      const ids: string[] = [];
      for (const raw of bodies) ids.push((await store.append(newEvent({ raw, payload: null }))).event.id);
      const asked = [...ids, 'evt_missing', ids[3], ...ids.slice(0, 5).reverse()];
      const read = await Promise.all(asked.map((id) => store.getRaw(id)));
      asked.forEach((id, i) => {
        const expected = ids.indexOf(id);
        if (expected === -1) assert.equal(read[i], undefined, id);
        else assert.ok(read[i]?.raw.equals(bodies[expected]), `${id} read another event's bytes`);
      });
    });

    it('lists by source, exact type and type glob, after a cursor, with limit and has_more', async () => {
      const { store } = await fresh();
      const types = ['response.completed', 'response.failed', 'batch.completed', 'response.completed'];
      const ids = [];
      for (const [i, type] of types.entries()) {
        ids.push((await store.append(newEvent({ type, source: i % 2 ? 'b' : 'a' }))).event.id);
      }
      const idsOf = async (q: Parameters<EventStore['list']>[0]) => (await store.list(q)).data.map((e) => e.id);
      assert.deepEqual(await idsOf({ source: 'b', limit: 10 }), [ids[1], ids[3]]);
      assert.deepEqual(await idsOf({ type: 'response.completed', limit: 10 }), [ids[0], ids[3]]);
      assert.deepEqual(await idsOf({ type: 'response.*', limit: 10 }), [ids[0], ids[1], ids[3]]);
      assert.deepEqual(await idsOf({ type: '*', limit: 10 }), ids);
      // Globs mean what they mean everywhere (README "Globs"): `*` any run, `?` one character, the rest itself.
      assert.deepEqual(await idsOf({ type: '*.completed', limit: 10 }), [ids[0], ids[2], ids[3]]);
      assert.deepEqual(await idsOf({ type: 'respons?.*ed', limit: 10 }), [ids[0], ids[1], ids[3]]);
      assert.deepEqual(await idsOf({ type: 'batch_*', limit: 10 }), [], 'a LIKE wildcard in a glob is itself');
      assert.deepEqual(await idsOf({ type: 'batch%', limit: 10 }), []);
      assert.deepEqual(await idsOf({ after: ids[1], limit: 10 }), [ids[2], ids[3]]);
      const page = await store.list({ limit: 2 });
      assert.deepEqual(
        page.data.map((e) => e.id),
        ids.slice(0, 2),
      );
      assert.equal(page.has_more, true);
      assert.equal(page.last_id, ids[1]);
      const last = await store.list({ after: page.last_id ?? undefined, limit: 2 });
      assert.equal(last.has_more, false);
      assert.deepEqual(await store.list({ source: 'none', limit: 5 }), { data: [], has_more: false, last_id: null });
    });

    it('lists the newest matches with tail (still oldest first), after a cursor and with filters', async () => {
      const { store } = await fresh();
      const ids = [];
      for (let i = 0; i < 6; i++) {
        ids.push((await store.append(newEvent({ type: i % 2 ? 'order.paid' : 'order.created', source: 'a' }))).event.id);
      }
      const page = await store.list({ tail: true, limit: 2 });
      assert.deepEqual(
        page.data.map((e) => e.id),
        ids.slice(-2),
      );
      assert.equal(page.has_more, true, 'older matches exist');
      assert.equal(page.last_id, ids[5]);
      const paid = await store.list({ tail: true, type: 'order.p*', limit: 2 });
      assert.deepEqual(
        paid.data.map((e) => e.id),
        [ids[3], ids[5]],
      );
      const afterCursor = await store.list({ tail: true, after: ids[3], limit: 10 });
      assert.deepEqual(
        afterCursor.data.map((e) => e.id),
        ids.slice(4),
      );
      assert.equal(afterCursor.has_more, false);
      assert.deepEqual(await store.list({ tail: true, source: 'none', limit: 5 }), { data: [], has_more: false, last_id: null });
    });

    it('reports the oldest kept id', async () => {
      const { store } = await fresh();
      assert.equal(await store.oldestId(), null);
      const first = await store.append(newEvent());
      await store.append(newEvent());
      assert.equal(await store.oldestId(), first.event.id);
    });

    it('keeps at most maxEvents, dropping the oldest', async () => {
      const { store } = await fresh({ retention: { maxEvents: 3, maxAgeDays: 7 } });
      const ids = [];
      for (let i = 0; i < 5; i++) ids.push((await store.append(newEvent())).event.id);
      assert.equal(await store.count(), 3);
      assert.equal(await store.oldestId(), ids[2]);
      assert.equal(await store.get(ids[0]), undefined);
      assert.deepEqual(
        (await store.list({ limit: 10 })).data.map((e) => e.id),
        ids.slice(2),
      );
    });

    it('drops events older than maxAgeDays by the injected clock, also on a quiet store', async () => {
      let now = Date.parse('2026-01-01T00:00:00Z');
      const { store } = await fresh({ retention: { maxEvents: 100, maxAgeDays: 2 }, now: () => now });
      const old = await store.append(newEvent());
      now += DAY_MS;
      const newer = await store.append(newEvent());
      now += DAY_MS + 1;
      assert.equal(await store.get(old.event.id), undefined, 'a read alone applies retention');
      assert.equal(await store.getRaw(old.event.id), undefined);
      assert.equal(await store.oldestId(), newer.event.id);
      now += 2 * DAY_MS;
      assert.equal(await store.count(), 0);
      assert.deepEqual((await store.list({ limit: 10 })).data, []);
    });

    it('counts kept events per source after a cursor, and none that retention dropped', async () => {
      const { store } = await fresh({ retention: { maxEvents: 4, maxAgeDays: 7 } });
      const first = await store.append(newEvent({ source: 'a' }));
      await store.append(newEvent({ source: 'a' }));
      await store.append(newEvent({ source: 'b' }));
      assert.deepEqual(await store.countBySource(first.event.id), { a: 1, b: 1 });
      assert.deepEqual(await store.countBySource(''), { a: 2, b: 1 });
      await store.append(newEvent({ source: 'b' }));
      await store.append(newEvent({ source: 'c' }));
      // maxEvents 4: the first event is gone, so counting from the start no longer finds it.
      assert.deepEqual(await store.countBySource(''), { a: 1, b: 2, c: 1 });
    });

    it('keeps a bounded rejection log, newest first, filterable by source', async () => {
      const { store } = await fresh({ maxRejections: 3 });
      for (let i = 0; i < 5; i++) {
        await store.recordRejection({ at: `t${i}`, source: i % 2 ? 'b' : 'a', status: 401, code: 'x', ip: '', headers: {} });
      }
      assert.deepEqual(
        (await store.listRejections({ limit: 10 })).map((r) => r.at),
        ['t4', 't3', 't2'],
      );
      assert.deepEqual(
        (await store.listRejections({ source: 'b', limit: 10 })).map((r) => r.at),
        ['t3'],
      );
    });

    it('keeps events, duplicates and rejections across a reopen', async (t) => {
      const harness = await fresh({ maxRejections: 3 });
      if (!harness.reopen) return t.skip(`${name} keeps nothing once closed, by design`);
      const first = await harness.store.append(newEvent({ provider_id: 'kept', raw: Buffer.from([1, 2, 3]) }));
      await harness.store.recordRejection({ at: 't', source: 's', status: 401, code: 'x', ip: '', headers: {} });
      const store = await harness.reopen();
      opened.push(store);
      assert.deepEqual(await store.get(first.event.id), first.event);
      assert.ok((await store.getRaw(first.event.id))?.raw.equals(Buffer.from([1, 2, 3])));
      const again = await store.append(newEvent({ provider_id: 'kept' }));
      assert.deepEqual([again.duplicate, again.event.id], [true, first.event.id]);
      assert.equal((await store.listRejections({ limit: 5 })).length, 1);
    });

    it('refuses appends once closed, and reports itself not writable', async () => {
      const { store } = await fresh();
      assert.equal(await store.writable(), true);
      await store.close();
      await store.close();
      assert.equal(await store.writable(), false);
      await assert.rejects(store.append(newEvent()));
    });
  });
}
