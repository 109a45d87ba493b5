import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { LogTable } from '../../server/store/log-table.ts';
import { LowdbTable } from '../../server/store/lowdb-table.ts';
import { MemoryTable } from '../../server/store/memory-table.ts';
import type { Table } from '../../server/store/table.ts';
import { fillDisk } from '../helpers/disk-full.ts';
import { waitFor } from '../helpers/wait.ts';
import { type Item, tableContract } from './table.contract.ts';

const dirs: string[] = [];
after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});
async function tempFile(name: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'hookrelay-table-'));
  dirs.push(dir);
  return join(dir, name);
}

function onFile(make: (file: string) => Table<Item>, name: string) {
  return async () => {
    const file = await tempFile(name);
    const table = make(file);
    return {
      table,
      async reopen() {
        await table.close();
        const next = make(file);
        await next.open();
        return next;
      },
      failWrites: async () => await fillDisk(),
    };
  };
}

tableContract('MemoryTable', async () => ({ table: new MemoryTable<Item>('items') }));
tableContract(
  'LogTable',
  onFile((file) => new LogTable<Item>('items', file), 'items.jsonl'),
);
tableContract(
  'LowdbTable',
  onFile((file) => new LowdbTable<Item>('items', file), 'items.json'),
);

describe('LogTable compaction', () => {
  it('rewrites the log to only the live rows once it holds more than twice as many lines', async () => {
    const file = await tempFile('churn.jsonl');
    const table = new LogTable<Item>('churn', file);
    await table.open();
    for (let round = 0; round < 6; round++) {
      await table.putMany(Array.from({ length: 400 }, (_, i) => ({ id: `r${i}`, n: round })));
      // A compaction runs beside the writes: on a slow machine the later rounds would all land in its
      // tail and be copied after it. Let each one end, so what is left does not depend on speed.
      await waitFor('a compaction to end', () => !table.compacting);
    }
    await table.delete('r0');
    await table.close();
    const lines = (await readFile(file, 'utf8')).trim().split('\n');
    // 2,401 lines were written; compaction left the 400 live rows plus what came after it.
    assert.ok(lines.length < 1200, `log still has ${lines.length} lines`);
    const reopened = new LogTable<Item>('churn', file);
    await reopened.open();
    assert.equal(reopened.size, 399);
    assert.equal(reopened.get('r0'), undefined);
    assert.deepEqual(reopened.get('r399'), { id: 'r399', n: 5 });
    await reopened.close();
  });

  it('keeps every write made while it compacts, and does not hold those writes until it ends', async () => {
    const file = await tempFile('busy.jsonl');
    const table = new LogTable<Item>('busy', file);
    await table.open();
    const model = new Map<string, Item>();
    const pad = 'x'.repeat(200);
    // Rounds of 5,000 rows until one crosses the threshold and a compaction of them begins.
    for (let round = 0; !table.compacting; round++) {
      assert.ok(round < 10, 'no compaction began');
      const rows = Array.from({ length: 5_000 }, (_, i) => ({ id: `r${i}`, n: round, pad }));
      for (const row of rows) model.set(row.id, row);
      await table.putMany(rows);
    }
    // While it runs: updates, deletes and new rows, one at a time, checked against a model afterwards.
    let op = 0;
    let doneWhileCompacting = 0;
    while (table.compacting || op < 50) {
      const id = `r${(op * 7919) % 6_000}`;
      if (op % 5 === 4) {
        await table.delete(id);
        model.delete(id);
      } else {
        const row = { id, n: 1_000 + op };
        model.set(id, row);
        await table.put(row);
      }
      if (table.compacting) doneWhileCompacting++;
      op++;
    }
    assert.ok(doneWhileCompacting > 0, 'every write waited for the compaction to end');
    await table.close();
    const lines = (await readFile(file, 'utf8')).trim().split('\n');
    // The copy holds the 5,000 rows and each later write once, or twice for a row a write made during
    // the copy that the copy then also reached; uncompacted, the log would hold 15,000 lines and more.
    assert.ok(lines.length <= 5_000 + 2 * op, `the log was not compacted (${lines.length} lines after ${op} writes)`);
    const reopened = new LogTable<Item>('busy', file);
    await reopened.open();
    assert.equal(reopened.size, model.size);
    for (const [id, row] of model) assert.deepEqual(reopened.get(id), row, id);
    await reopened.close();
  });
});
