import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { LocalCluster } from '../../server/cluster/cluster.ts';
import { createIdFactory } from '../../server/ids.ts';
import { createStorage } from '../../server/store/driver.ts';
import { StateStore } from '../../server/workflows/state-store.ts';

it('moves state rows kept under the old NUL-separated id to ids PostgreSQL can store', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'hookrelay-state-'));
  try {
    const storage = () =>
      createStorage({
        driver: 'lowdb',
        dataDir: dir,
        retention: { maxEvents: 10, maxAgeDays: 1 },
        now: Date.now,
        newId: createIdFactory(),
      });
    const old = storage().tables.table<{ id: string; workflow: string; namespace: string; entries: object }>(
      'workflow_state',
      'large',
    );
    await old.open();
    await old.put({ id: 'progress\u0000b1', workflow: 'progress', namespace: 'b1', entries: { doc1: 0.5 } });
    await old.close();

    const tables = storage().tables;
    const state = new StateStore(tables, new LocalCluster('test'));
    await state.open();
    const progress = state.forWorkflow('progress');
    assert.deepEqual(progress.entries('b1'), { doc1: 0.5 });
    assert.deepEqual(await progress.put('b1', 'doc2', 1), { changed: true, entries: { doc1: 0.5, doc2: 1 } });
    await state.close();

    const reopened = storage().tables.table<{ id: string }>('workflow_state', 'large');
    await reopened.open();
    assert.deepEqual(
      [...reopened.values()].map((row) => row.id),
      ['progress/b1'],
    );
    await reopened.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
