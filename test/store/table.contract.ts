import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { Table } from '../../server/store/table.ts';

export interface Item {
  id: string;
  n: number;
}

export interface TableHarness {
  table: Table<Item>;
  /** Closes the table and opens a new one on the same file; absent for tables that keep nothing. */
  reopen?: () => Promise<Table<Item>>;
}

/** The behaviour every Table implementation must have. */
export function tableContract(name: string, make: () => Promise<TableHarness>): void {
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
  });
}
