import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { FileEventStore } from '../../server/store/file-event-store.ts';
import { CorruptFileError, forEachJsonLine } from '../../server/store/jsonl.ts';
import { LogTable } from '../../server/store/log-table.ts';
import { LowdbTable } from '../../server/store/lowdb-table.ts';
import { newEvent } from './event-store.contract.ts';

const dirs: string[] = [];
after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'hookrelay-files-'));
  dirs.push(dir);
  return dir;
}

const retention = { maxEvents: 100_000, maxAgeDays: 7 };

async function storeWith(dir: string, count: number, segmentEvents = 1000): Promise<string[]> {
  const store = new FileEventStore({ dir, retention, segmentEvents });
  await store.open();
  const ids = (await Promise.all(Array.from({ length: count }, () => store.append(newEvent())))).map((r) => r.event.id);
  await store.close();
  return ids;
}

async function onlySegment(dir: string): Promise<string> {
  const [name] = await readdir(join(dir, 'events'));
  return join(dir, 'events', name);
}

describe('FileEventStore on disk', () => {
  it('drops a torn last line on open and keeps every complete one', async () => {
    const dir = await tempDir();
    const ids = await storeWith(dir, 3);
    const segment = await onlySegment(dir);
    const intact = await readFile(segment);
    await appendFile(segment, '{"e":{"id":"evt_torn","sou');
    const store = new FileEventStore({ dir, retention });
    await store.open();
    assert.deepEqual(
      (await store.list({ limit: 10 })).data.map((e) => e.id),
      ids,
    );
    assert.ok((await readFile(segment)).equals(intact), 'the torn tail is cut, nothing else changes');
    await store.close();
  });

  it('refuses to open a segment with a damaged complete line, naming file and line, and leaves it as it was', async () => {
    const dir = await tempDir();
    await storeWith(dir, 3);
    const segment = await onlySegment(dir);
    const lines = (await readFile(segment, 'utf8')).split('\n');
    lines[1] = lines[1].slice(0, 40);
    // A damaged middle line and a torn tail: neither may be "repaired" while the file is refused.
    await writeFile(segment, `${lines.join('\n')}{"e":`);
    const before = await readFile(segment);
    const store = new FileEventStore({ dir, retention });
    await assert.rejects(store.open(), (error: Error) => {
      assert.ok(error instanceof CorruptFileError);
      assert.match(error.message, new RegExp(`${segment.replaceAll('.', '\\.')}:2: not valid JSON`));
      return true;
    });
    assert.ok((await readFile(segment)).equals(before));
  });

  it('refuses damaged table files the same way, for log and lowdb tables', async () => {
    const dir = await tempDir();
    const log = join(dir, 'rows.jsonl');
    await writeFile(log, '{"id":"a","v":{"id":"a"}}\nnot json\n');
    await assert.rejects(new LogTable('rows', log).open(), new RegExp(`${log.replaceAll('.', '\\.')}:2: not valid JSON`));
    assert.equal(await readFile(log, 'utf8'), '{"id":"a","v":{"id":"a"}}\nnot json\n');
    const small = join(dir, 'state.json');
    const text = '{\n  "rows": [\n    {"id": "a"},\n    {"id": b}\n  ]\n}\n';
    await writeFile(small, text);
    await assert.rejects(new LowdbTable('state', small).open(), new RegExp(`${small.replaceAll('.', '\\.')}:4: not valid JSON`));
    assert.equal(await readFile(small, 'utf8'), text);
  });

  it('unlinks whole segments once retention has dropped every event in them', async () => {
    const dir = await tempDir();
    const store = new FileEventStore({ dir, retention: { maxEvents: 25, maxAgeDays: 7 }, segmentEvents: 10 });
    await store.open();
    for (let i = 0; i < 100; i++) await store.append(newEvent());
    await store.close();
    const segments = await readdir(join(dir, 'events'));
    // 25 kept events span at most 4 segments of 10 (3 full, part of one); 10 segments were written.
    assert.ok(segments.length <= 4, `${segments.length} segments left`);
    const reopened = new FileEventStore({ dir, retention: { maxEvents: 25, maxAgeDays: 7 }, segmentEvents: 10 });
    await reopened.open();
    assert.equal(await reopened.count(), 25);
    await reopened.close();
  });

  it('loads a large file in slices, letting the event loop run between them', async () => {
    const file = join(await tempDir(), 'big.jsonl');
    await writeFile(file, Array.from({ length: 5000 }, (_, i) => `{"n":${i}}\n`).join(''));
    let seen = 0;
    let otherWorkRanAt = -1;
    const visited = await forEachJsonLine(file, () => {
      if (seen++ === 0) setImmediate(() => (otherWorkRanAt = seen));
    });
    assert.equal(visited, 5000);
    assert.equal(otherWorkRanAt, 500, 'other work ran after the first slice of 500 lines, not after all 5,000');
  });
});
