import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createIdFactory } from '../../server/ids.ts';
import { createStorage } from '../../server/store/driver.ts';
import type { TableFactory } from '../../server/store/table.ts';
import { type RunRecord, type RunStatus, TableRunStore } from '../../server/workflows/run-store.ts';
import { runRecord } from './helpers.ts';

const newId = createIdFactory();
const run = (status: RunStatus, workflow = 'w', trigger: string | null = null): RunRecord =>
  runRecord({ status, workflow, trigger_event_id: trigger });

// The same behaviour over every table driver: a PostgreSQL RunStore would join this list.
const drivers: Array<[string, () => Promise<{ tables: TableFactory; cleanup(): Promise<void> }>]> = [
  [
    'memory',
    async () => ({
      tables: createStorage({ driver: 'memory', dataDir: '', retention: { maxEvents: 10, maxAgeDays: 1 }, now: Date.now, newId })
        .tables,
      cleanup: async () => {},
    }),
  ],
  [
    'lowdb (files)',
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'hookrelay-runstore-'));
      const storage = createStorage({
        driver: 'lowdb',
        dataDir: dir,
        retention: { maxEvents: 10, maxAgeDays: 1 },
        now: Date.now,
        newId,
      });
      return { tables: storage.tables, cleanup: () => rm(dir, { recursive: true, force: true }) };
    },
  ],
];

for (const [name, make] of drivers) {
  describe(`TableRunStore over ${name} tables`, () => {
    it('lists newest first with filters, finds unfinished runs and the run an event triggered', async () => {
      const { tables, cleanup } = await make();
      const store = new TableRunStore(tables);
      await store.open();
      const a = run('succeeded', 'w', 'evt_a');
      const b = run('waiting', 'w', 'evt_b');
      const c = run('failed', 'other');
      for (const r of [a, b, c]) await store.save(r);
      assert.deepEqual(
        store.list({ limit: 10 }).map((r) => r.id),
        [c.id, b.id, a.id],
      );
      assert.deepEqual(
        store.list({ workflow: 'w', limit: 10 }).map((r) => r.id),
        [b.id, a.id],
      );
      assert.deepEqual(
        store.list({ status: 'failed', limit: 10 }).map((r) => r.id),
        [c.id],
      );
      assert.deepEqual(
        store.list({ workflow: 'w', limit: 10, before: b.id }).map((r) => r.id),
        [a.id],
      );
      assert.deepEqual(
        store.unfinished().map((r) => r.id),
        [b.id],
      );
      assert.equal(store.triggeredBy('w', 'evt_a'), a.id);
      assert.equal(store.triggeredBy('other', 'evt_a'), undefined);
      await store.close();
      await cleanup();
    });

    it('shows a held run before its first write, in id order, and keeps its event as the oldest held', async () => {
      const { tables, cleanup } = await make();
      const store = new TableRunStore(tables);
      await store.open();
      const older = run('running', 'w', 'evt_1');
      const newer = run('running', 'w', 'evt_2');
      store.hold(older);
      store.hold(newer);
      assert.equal(store.get(older.id), older);
      assert.equal(store.triggeredBy('w', 'evt_1'), older.id);
      assert.deepEqual(
        store
          .unfinished()
          .map((r) => r.id)
          .sort(),
        [older.id, newer.id].sort(),
      );
      assert.equal(store.oldestHeldTrigger(), 'evt_1');
      // The newer run is written first (it finished first): the list is still newest first, limit applied.
      newer.status = 'succeeded';
      await store.save(newer);
      assert.equal(store.oldestHeldTrigger(), 'evt_1');
      older.status = 'succeeded';
      await store.save(older);
      assert.equal(store.oldestHeldTrigger(), null);
      const third = run('succeeded', 'w', 'evt_0');
      await store.save(third);
      assert.deepEqual(
        store.list({ limit: 2 }).map((r) => r.id),
        [third.id, newer.id],
      );
      assert.deepEqual(
        store.list({ limit: 5, before: newer.id }).map((r) => r.id),
        [older.id],
      );
      await store.close();
      await cleanup();
    });

    it('lists the runs of an event (triggered, manual, re-run), and forgets pruned ones', async () => {
      const { tables, cleanup } = await make();
      const store = new TableRunStore(tables);
      await store.open();
      const first = run('succeeded', 'w', 'evt_x');
      const other = run('succeeded', 'w', 'evt_y');
      const again = { ...run('succeeded', 'v', 'evt_x'), rerun_of: first.id };
      const held = run('running', 'u', 'evt_x');
      for (const r of [first, other, again]) await store.save(r);
      store.hold(held);
      assert.deepEqual(
        store.forEvent('evt_x').map((r) => r.id),
        [first.id, again.id, held.id],
      );
      // The two oldest finished runs go (first, other); the event keeps the re-run and the held run.
      assert.equal(await store.prune(1), 2);
      assert.deepEqual(
        store.forEvent('evt_x').map((r) => r.id),
        [again.id, held.id],
      );
      await store.close();
      await cleanup();
    });

    it('prunes the oldest finished runs beyond the bound and never an unfinished one', async () => {
      const { tables, cleanup } = await make();
      const store = new TableRunStore(tables);
      await store.open();
      const waiting = run('waiting');
      await store.save(waiting);
      const finished = Array.from({ length: 5 }, (_, i) => run('succeeded', 'w', `evt_${i}`));
      for (const r of finished) await store.save(r);
      assert.equal(await store.prune(2), 3);
      assert.deepEqual(
        store.list({ limit: 10 }).map((r) => r.id),
        [finished[4].id, finished[3].id, waiting.id],
      );
      assert.equal(store.triggeredBy('w', 'evt_0'), undefined);
      assert.equal(await store.prune(2), 0);
      await store.close();
      await cleanup();
    });

    it('spares runs of events a restart would replay, up to a bound of its own', async () => {
      const { tables, cleanup } = await make();
      const store = new TableRunStore(tables);
      await store.open();
      const evt = (i: number) => `evt_${String(i).padStart(2, '0')}`;
      const finished = Array.from({ length: 18 }, (_, i) => run('succeeded', 'w', evt(i)));
      for (const r of finished.slice(0, 12)) await store.save(r);
      // A replay would start after evt_05: the runs of evt_06 to evt_11 stay, six where the bound is four.
      const spare = { after: evt(5), max: 4 };
      assert.equal(await store.prune(4, spare), 6);
      assert.equal(store.triggeredBy('w', evt(5)), undefined);
      assert.equal(store.triggeredBy('w', evt(6)), finished[6].id);
      // Twelve to spare: beyond four more than the bound the oldest go regardless.
      for (const r of finished.slice(12)) await store.save(r);
      assert.equal(await store.prune(4, spare), 4);
      assert.deepEqual(
        store.list({ limit: 20 }).map((r) => r.id),
        finished
          .slice(-8)
          .map((r) => r.id)
          .reverse(),
      );
      assert.equal(await store.prune(4, spare), 0);
      await store.close();
      await cleanup();
    });

    it('prunes more runs than one delete chunk holds, keeping exactly the newest', async () => {
      const { tables, cleanup } = await make();
      const store = new TableRunStore(tables);
      await store.open();
      const finished = Array.from({ length: 620 }, (_, i) => run('succeeded', 'w', `evt_many_${i}`));
      await Promise.all(finished.map((r) => store.save(r)));
      assert.equal(await store.prune(10), 610);
      assert.deepEqual(
        store.list({ limit: 100 }).map((r) => r.id),
        finished
          .slice(-10)
          .map((r) => r.id)
          .reverse(),
      );
      assert.equal(store.triggeredBy('w', 'evt_many_609'), undefined);
      assert.equal(store.triggeredBy('w', 'evt_many_610'), finished[610].id);
      await store.close();
      await cleanup();
    });
  });
}

describe('TableRunStore on files', () => {
  it('keeps runs and the trigger cursor across a reopen', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hookrelay-runstore-'));
    const storage = () =>
      createStorage({ driver: 'lowdb', dataDir: dir, retention: { maxEvents: 10, maxAgeDays: 1 }, now: Date.now, newId });
    const first = new TableRunStore(storage().tables);
    await first.open();
    const saved = run('running', 'w', 'evt_x');
    await first.save(saved);
    await first.saveCursor('evt_x');
    await first.close();
    const again = new TableRunStore(storage().tables);
    await again.open();
    assert.equal(again.get(saved.id)?.status, 'running');
    assert.equal(again.cursor(), 'evt_x');
    assert.equal(again.triggeredBy('w', 'evt_x'), saved.id);
    await again.close();
    await rm(dir, { recursive: true, force: true });
  });
});
