import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { Table } from '../../server/store/table.ts';
import { waitFor } from '../helpers/wait.ts';

export interface Item {
  id: string;
  n: number;
}

export interface TableHarness {
  table: Table<Item>;
  /** Closes the table and opens a new one on the same file; absent for tables that keep nothing. */
  reopen?: () => Promise<Table<Item>>;
  /** The same table as another relay instance on the same store sees it; for shared stores only. */
  peer?: () => Promise<Table<Item>>;
  /** Makes the store refuse writes (a full disk, a refusing database); returns the undo. Absent where writes cannot fail. */
  failWrites?: () => Promise<() => Promise<void> | void>;
}

/** The behaviour every Table implementation must have; tables of a shared store (`peer`) also the nested suite. */
export function tableContract(name: string, make: () => Promise<TableHarness>, shared = false): void {
  describe(`Table contract: ${name}`, () => {
    const opened: Table<Item>[] = [];
    after(async () => {
      for (const table of opened) await table.close();
    });
    async function fresh(): Promise<TableHarness> {
      const harness = await make();
      await harness.table.open();
      opened.push(harness.table);
      return harness;
    }

    it('puts, gets, replaces and deletes rows', async () => {
      const { table } = await fresh();
      await table.put({ id: 'a', n: 1 });
      await table.putMany([
        { id: 'b', n: 2 },
        { id: 'c', n: 3 },
      ]);
      await table.put({ id: 'a', n: 10 });
      assert.deepEqual(table.get('a'), { id: 'a', n: 10 });
      assert.equal(table.size, 3);
      assert.equal(await table.delete('b'), true);
      assert.equal(await table.delete('b'), false);
      assert.equal(table.get('b'), undefined);
      assert.equal(table.size, 2);
    });

    it('ends concurrent puts and deletes as if they had run one after another, across a reopen too', async () => {
      const harness = await fresh();
      const { table } = harness;
      await table.put({ id: 'gone', n: 0 });
      await Promise.all([
        table.put({ id: 'a', n: 1 }),
        table.put({ id: 'b', n: 1 }),
        table.delete('a'),
        table.put({ id: 'a', n: 2 }),
        table.putMany([
          { id: 'c', n: 1 },
          { id: 'b', n: 2 },
        ]),
        table.delete('gone'),
        table.put({ id: 'gone', n: 3 }),
        table.delete('gone'),
        table.put({ id: 'b', n: 3 }),
      ]);
      const expected = [
        { id: 'a', n: 2 },
        { id: 'b', n: 3 },
        { id: 'c', n: 1 },
      ];
      const rows = (t: Table<Item>) => [...t.values()].sort((x, y) => x.id.localeCompare(y.id));
      assert.deepEqual(rows(table), expected);
      if (harness.reopen) {
        const again = await harness.reopen();
        opened.push(again);
        assert.deepEqual(rows(again), expected);
      }
    });

    it('inserts only rows whose id is new, and says which', async () => {
      const { table } = await fresh();
      await table.put({ id: 'a', n: 1 });
      const inserted = await table.insertNew([
        { id: 'a', n: 2 },
        { id: 'b', n: 3 },
      ]);
      assert.deepEqual(inserted, [{ id: 'b', n: 3 }]);
      assert.deepEqual(table.get('a'), { id: 'a', n: 1 });
      assert.deepEqual(await table.insertNew([{ id: 'b', n: 4 }]), []);
      assert.equal(table.size, 2);
    });

    it('lists values in the order rows were first put', async () => {
      const { table } = await fresh();
      for (const id of ['z', 'a', 'm']) await table.put({ id, n: 0 });
      await table.put({ id: 'z', n: 1 });
      assert.deepEqual(
        [...table.values()].map((r) => r.id),
        ['z', 'a', 'm'],
      );
    });

    it('keeps rows, replacements and deletions across a reopen', async (t) => {
      const harness = await fresh();
      if (!harness.reopen) return t.skip(`${name} keeps nothing once closed, by design`);
      const { table } = harness;
      await Promise.all([table.put({ id: 'a', n: 1 }), table.put({ id: 'b', n: 2 }), table.put({ id: 'c', n: 3 })]);
      await table.put({ id: 'a', n: 4 });
      await table.delete('b');
      const reopened = await harness.reopen();
      opened.push(reopened);
      assert.deepEqual(
        [...reopened.values()],
        [
          { id: 'a', n: 4 },
          { id: 'c', n: 3 },
        ],
      );
    });

    it('leaves no trace of a write that failed, in memory or after a reopen', async (t) => {
      const harness = await fresh();
      if (!harness.failWrites) return t.skip(`${name} keeps rows in memory only: its writes cannot fail`);
      const { table } = harness;
      await table.putMany([
        { id: 'kept', n: 1 },
        { id: 'other', n: 2 },
      ]);
      const restore = await harness.failWrites();
      try {
        const attempts = [
          table.put({ id: 'new', n: 1 }),
          table.put({ id: 'kept', n: 99 }),
          table.putMany([{ id: 'many', n: 1 }]),
          table.insertNew([{ id: 'inserted', n: 1 }]),
          table.delete('other'),
        ];
        for (const result of await Promise.allSettled(attempts)) {
          assert.equal(result.status, 'rejected', 'a write succeeded although the store refuses writes');
          assert.equal((result as PromiseRejectedResult).reason.code, 'store_unavailable');
        }
      } finally {
        await restore();
      }
      const expected = [
        { id: 'kept', n: 1 },
        { id: 'other', n: 2 },
      ];
      assert.deepEqual([...table.values()], expected, 'memory kept a failed write');
      await table.put({ id: 'after', n: 3 });
      if (!harness.reopen) return;
      const reopened = await harness.reopen();
      opened.push(reopened);
      assert.deepEqual([...reopened.values()], [...expected, { id: 'after', n: 3 }], 'the store kept a failed write');
    });

    if (!shared) return;
    describe('shared by two instances', () => {
      async function pair(): Promise<[Table<Item>, Table<Item>]> {
        const harness = await fresh();
        const other = await (harness.peer as () => Promise<Table<Item>>)();
        await other.open();
        opened.push(other);
        return [harness.table, other];
      }

      it('shows one instance`s puts and deletes on the other, and tells its listeners', async () => {
        const [a, b] = await pair();
        const heard: string[] = [];
        b.onChange((ids) => heard.push(...ids));
        await a.putMany([
          { id: 'x', n: 1 },
          { id: 'y', n: 2 },
        ]);
        await waitFor('the rows on the other instance', () => b.get('x')?.n === 1 && b.get('y')?.n === 2);
        await a.put({ id: 'x', n: 5 });
        await waitFor('the replaced row', () => b.get('x')?.n === 5);
        await a.delete('y');
        await waitFor('the deletion', () => b.get('y') === undefined && b.size === 1);
        assert.deepEqual([...new Set(heard)].sort(), ['x', 'y']);
      });

      it('re-reads rows on refresh, and lets exactly one of two concurrent inserts of an id win', async () => {
        const [a, b] = await pair();
        await a.put({ id: 'r', n: 1 });
        await b.refresh(['r', 'missing']);
        assert.deepEqual(b.get('r'), { id: 'r', n: 1 });
        const results = await Promise.all(Array.from({ length: 6 }, (_, i) => (i % 2 ? a : b).insertNew([{ id: 'once', n: i }])));
        assert.equal(results.flat().length, 1);
        const winner = results.flat()[0];
        await waitFor('both instances showing the winner', () => a.get('once')?.n === winner.n && b.get('once')?.n === winner.n);
      });
    });
  });
}
