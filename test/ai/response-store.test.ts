import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createTableResponseStore, MERGE_FROM_CHUNKS, type ResponseStore } from '../../server/ai/response-store.ts';
import { LogTable } from '../../server/store/log-table.ts';
import { memoryTables } from '../../server/store/memory-table.ts';
import type { Row, TableFactory } from '../../server/store/table.ts';

const dirs: string[] = [];
async function fileTables(): Promise<TableFactory> {
  const dir = await mkdtemp(join(tmpdir(), 'hookrelay-ai-store-'));
  dirs.push(dir);
  return { table: <T extends Row>(name: string) => new LogTable<T>(name, join(dir, `${name}.jsonl`)) };
}

const delta = (item: string, text: string) => ({
  type: 'response.output_text.delta',
  item_id: item,
  output_index: 0,
  content_index: 0,
  delta: text,
  logprobs: [],
});

for (const [name, tables] of [
  ['memory tables', async () => memoryTables],
  ['file tables', fileTables],
] as const) {
  describe(`the response store over ${name}`, () => {
    after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

    it('replays events after a sequence number, rebuilding compact deltas into full frames', async () => {
      const store: ResponseStore = createTableResponseStore(await tables());
      await store.open();
      await store.appendEvents('resp_a', 0, { item_id: null, events: [{ type: 'response.created' }] });
      await store.appendEvents('resp_a', 1, { item_id: 'msg_1', events: ['Hel', 'lo'] });
      await store.appendEvents('resp_a', 3, { item_id: null, events: [{ type: 'response.completed' }] });
      assert.equal(store.eventCount('resp_a'), 4);
      const frames = store.eventsAfter('resp_a', 1);
      assert.deepEqual(
        frames.map((f) => f.seq),
        [2, 3],
      );
      assert.deepEqual(JSON.parse((frames[0] as { frame: string }).frame), { ...delta('msg_1', 'lo'), sequence_number: 2 });
      assert.deepEqual(JSON.parse((frames[1] as { frame: string }).frame), { type: 'response.completed', sequence_number: 3 });
      await store.close();
    });

    it('merges a finished stream of many chunks into one row and reads it the same, also after reopening', async () => {
      const t = await tables();
      const store = createTableResponseStore(t);
      await store.open();
      const n = MERGE_FROM_CHUNKS;
      for (let i = 0; i < n; i++) await store.appendEvents('resp_b', i, { item_id: 'msg_2', events: [`t${i}`] });
      const before = store.eventsAfter('resp_b', -1);
      await store.sealEvents('resp_b');
      assert.equal(store.chunkCount('resp_b'), 1);
      assert.deepEqual(store.eventsAfter('resp_b', -1), before);
      await store.close();
      if (t === memoryTables) return;
      const reopened = createTableResponseStore(t);
      await reopened.open();
      assert.deepEqual(reopened.eventsAfter('resp_b', 2), before.slice(3));
      assert.equal(reopened.eventCount('resp_b'), n);
      await reopened.close();
    });

    it('stores the closing events without the text they repeat, and replays them whole, merged and reopened', async () => {
      const t = await tables();
      const store = createTableResponseStore(t);
      await store.open();
      const tokens = Array.from({ length: MERGE_FROM_CHUNKS }, (_, i) => `wörd "${i}"\n`);
      const text = tokens.join('');
      for (const [i, token] of tokens.entries()) await store.appendEvents('resp_d', i, { item_id: 'msg_4', events: [token] });
      const part = (t: string) => ({ type: 'output_text', text: t, annotations: [], logprobs: [] });
      const item = { id: 'msg_4', type: 'message', role: 'assistant', status: 'completed', content: [part(text)] };
      const closing = [
        { type: 'response.output_text.done', item_id: 'msg_4', output_index: 0, content_index: 0, text, logprobs: [] },
        // Not the deltas' text: kept as it is.
        { type: 'response.content_part.done', item_id: 'msg_4', output_index: 0, content_index: 0, part: part('other') },
        { type: 'response.output_item.done', output_index: 0, item },
        { type: 'response.completed', response: { id: 'resp_d', status: 'completed', output: [item], metadata: { text } } },
      ];
      await store.appendEvents('resp_d', tokens.length, { item_id: null, events: closing });
      const expected = closing.map((e, k) => JSON.stringify({ ...e, sequence_number: tokens.length + k }));
      const frames = () => store.eventsAfter('resp_d', tokens.length - 1).map((f) => f.frame);
      assert.deepEqual(frames(), expected);
      assert.equal(closing[0]?.text, text, 'the events handed in are left as they are');
      await store.sealEvents('resp_d');
      assert.equal(store.chunkCount('resp_d'), 1);
      assert.deepEqual(frames(), expected);
      await store.close();
      if (t === memoryTables) return;
      const stored = await readFile(join(dirs.at(-1) as string, 'ai-response-events.jsonl'), 'utf8');
      const closingLines = stored.split('\n').filter((line) => line.includes('response.completed'));
      assert.equal(closingLines.length, 2, 'the closing run, then the merged stream');
      // Once each, in metadata (not the item's text); never in the three slots left out.
      for (const line of closingLines) assert.equal(line.split(JSON.stringify(text).slice(1, -1)).length - 1, 1);
      const reopened = createTableResponseStore(t);
      await reopened.open();
      assert.deepEqual(
        reopened.eventsAfter('resp_d', tokens.length).map((f) => f.frame),
        expected.slice(1),
      );
      await reopened.close();
    });

    it('leaves a stream of a few chunks as it is, read the same', async () => {
      const store = createTableResponseStore(await tables());
      await store.open();
      const few = MERGE_FROM_CHUNKS - 1;
      for (let i = 0; i < few; i++) await store.appendEvents('resp_c', i * 2, { item_id: 'msg_3', events: [`a${i}`, `b${i}`] });
      const before = store.eventsAfter('resp_c', -1);
      await store.sealEvents('resp_c');
      assert.equal(store.chunkCount('resp_c'), few);
      assert.deepEqual(store.eventsAfter('resp_c', -1), before);
      assert.equal(store.eventCount('resp_c'), few * 2);
      await store.close();
    });
  });
}
