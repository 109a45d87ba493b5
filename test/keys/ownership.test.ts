import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI, { toFile } from 'openai';
import { startFakeOpenAI, type FakeOpenAI } from '../helpers/fake-openai.ts';
import { dropSchemas, newSchema, skipWithoutPostgres, testDatabaseUrl } from '../helpers/postgres.ts';
import { ADMIN_TOKEN, startRelay, type TestRelay } from '../helpers/relay.ts';
import { waitFor } from '../helpers/wait.ts';
import { call, createKey } from './helpers.ts';

const line = (n: number) =>
  JSON.stringify({
    custom_id: `r${n}`,
    method: 'POST',
    url: '/v1/chat/completions',
    body: { model: 'fake-1', messages: [{ role: 'user', content: `hi ${n}` }] },
  });

for (const driver of ['memory', 'postgres'] as const) {
  describe(`AI objects belong to the key that made them (${driver})`, {
    skip: driver === 'postgres' && skipWithoutPostgres,
  }, () => {
    const schema = newSchema();
    let fake: FakeOpenAI;
    let relay: TestRelay;
    let alice: OpenAI;
    let bob: OpenAI;
    let admin: OpenAI;
    let aliceKey: { id: string; key: string };
    let bobKey: { id: string; key: string };
    const client = (key: string) => new OpenAI({ apiKey: key, baseURL: `${relay.url}/v1`, maxRetries: 0 });
    before(async () => {
      fake = await startFakeOpenAI();
      relay = await startRelay({
        driver,
        postgres: { url: testDatabaseUrl ?? '', schema },
        sections: {
          ai: { backoffMs: 1, upstreams: [{ name: 'fake', baseURL: fake.baseURL, models: ['fake-*'] }] },
          batches: { progressIntervalMs: 10, retryBackoffMs: 1 },
        },
      });
      aliceKey = await createKey(relay, { name: 'alice', scopes: ['ai', 'usage:read'] });
      bobKey = await createKey(relay, { name: 'bob', scopes: ['ai', 'usage:read'] });
      alice = client(aliceKey.key);
      bob = client(bobKey.key);
      admin = client(ADMIN_TOKEN);
    });
    after(async () => {
      await relay?.stop();
      await fake?.close();
      if (driver === 'postgres') await dropSchemas([schema]);
    });

    it("hides one key's responses from another on read, list, stream, cancel and delete; admin sees them", async () => {
      fake.script({ tokens: ['a', 'b'], pauseAfter: 1 });
      const mine = await alice.responses.create({ model: 'fake-1', input: 'hello', background: true });
      await waitFor('the upstream call paused', () => fake.requests.some((r) => r.paused));
      await assert.rejects(bob.responses.retrieve(mine.id), { status: 404 });
      await assert.rejects(bob.responses.cancel(mine.id), { status: 404 });
      await assert.rejects(bob.responses.delete(mine.id), { status: 404 });
      await assert.rejects(bob.responses.inputItems.list(mine.id), { status: 404 });
      await assert.rejects(bob.responses.create({ model: 'fake-1', input: 'go on', previous_response_id: mine.id }), {
        status: 400,
        code: 'previous_response_not_found',
      });
      assert.equal((await alice.responses.inputItems.list(mine.id)).data.length, 1);
      const stream = await fetch(`${relay.url}/v1/responses/${mine.id}?stream=true`, {
        headers: { authorization: `Bearer ${bobKey.key}` },
      });
      assert.equal(stream.status, 404);
      const bobList = await call(relay, bobKey.key, 'GET', '/v1/responses');
      assert.ok(!bobList.body.data.some((r: { id: string }) => r.id === mine.id));
      const aliceList = await call(relay, aliceKey.key, 'GET', '/v1/responses');
      assert.deepEqual(
        aliceList.body.data.map((r: { id: string }) => r.id),
        [mine.id],
      );
      assert.equal((await admin.responses.retrieve(mine.id)).id, mine.id);
      fake.release();
      const done = await waitFor('alice sees it completed', async () => {
        const r = await alice.responses.retrieve(mine.id);
        return r.status === 'completed' ? r : null;
      });
      assert.equal(done.output_text, 'ab');
      await assert.rejects(bob.responses.delete(mine.id), { status: 404 });
      await alice.responses.delete(mine.id);
    });

    it("keeps one key's Idempotency-Key apart from another's", async () => {
      const a = await alice.responses.create({ model: 'fake-1', input: 'same' }, { idempotencyKey: 'k-1' });
      const b = await bob.responses.create({ model: 'fake-1', input: 'same' }, { idempotencyKey: 'k-1' });
      assert.notEqual(a.id, b.id);
    });

    it("hides one key's files, file content and batches from another; admin sees them", async () => {
      const file = await alice.files.create({
        file: await toFile(Buffer.from(`${line(1)}\n${line(2)}\n`), 'in.jsonl'),
        purpose: 'batch',
      });
      await assert.rejects(bob.files.retrieve(file.id), { status: 404 });
      await assert.rejects(bob.files.content(file.id), { status: 404 });
      await assert.rejects(bob.files.delete(file.id), { status: 404 });
      assert.ok(!(await bob.files.list()).data.some((f) => f.id === file.id));
      assert.ok((await alice.files.list()).data.some((f) => f.id === file.id));
      await assert.rejects(
        bob.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' }),
        { status: 404 },
      );
      const tokens = async () => {
        const rows = (await call(relay, aliceKey.key, 'GET', '/v1/usage')).body.data as Array<{
          total_tokens: number;
          completed: number;
        }>;
        return rows.reduce((sum, row) => ({ tokens: sum.tokens + row.total_tokens, completed: sum.completed + row.completed }), {
          tokens: 0,
          completed: 0,
        });
      };
      const before = await tokens();
      const batch = await alice.batches.create({
        input_file_id: file.id,
        endpoint: '/v1/chat/completions',
        completion_window: '24h',
      });
      await assert.rejects(bob.batches.retrieve(batch.id), { status: 404 });
      await assert.rejects(bob.batches.cancel(batch.id), { status: 404 });
      assert.ok(!(await bob.batches.list()).data.some((b) => b.id === batch.id));
      const finished = await waitFor('the batch completed', async () => {
        const b = await alice.batches.retrieve(batch.id);
        return b.status === 'completed' ? b : null;
      });
      // Both lines' tokens count for alice's key (usage and quotas).
      const afterBatch = await tokens();
      assert.equal(afterBatch.completed - before.completed, 2);
      assert.ok(afterBatch.tokens > before.tokens, JSON.stringify([before, afterBatch]));
      const output = finished.output_file_id as string;
      assert.match(await (await alice.files.content(output)).text(), /"custom_id":"r1"/);
      await assert.rejects(bob.files.content(output), { status: 404 });
      assert.equal((await admin.batches.retrieve(batch.id)).id, batch.id);
      assert.equal((await admin.files.retrieve(output)).id, output);
    });

    it('records usage per key: a usage:read key sees its own, admin sees every key', async () => {
      const mine = await call(relay, aliceKey.key, 'GET', '/v1/usage?key_id=' + bobKey.id);
      assert.equal(mine.status, 200);
      assert.ok(mine.body.data.length > 0);
      assert.ok(mine.body.data.every((row: { key_id: string }) => row.key_id === aliceKey.id));
      const all = await call(relay, ADMIN_TOKEN, 'GET', '/v1/usage');
      const keys = new Set(all.body.data.map((row: { key_id: string }) => row.key_id));
      assert.ok(keys.has(aliceKey.id) && keys.has(bobKey.id), JSON.stringify([...keys]));
      const bobs = await call(relay, ADMIN_TOKEN, 'GET', `/v1/usage?key_id=${bobKey.id}`);
      assert.ok(bobs.body.data.length > 0 && bobs.body.data.every((row: { key_id: string }) => row.key_id === bobKey.id));
      const row = mine.body.data.find((r: { model: string }) => r.model === 'fake-1');
      assert.ok(row.completed >= 1 && row.total_tokens > 0, JSON.stringify(row));
    });
  });
}
