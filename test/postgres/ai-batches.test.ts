import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { toFile } from 'openai';
import { fileLines, inputLines, sdk, uploadAndCreate, waitForStatus } from '../batches/batch-helpers.ts';
import { controlLines, type LineControl } from '../helpers/fake-openai-extras.ts';
import { type FakeOpenAI, startFakeOpenAI } from '../helpers/fake-openai.ts';
import { dropSchemas, newSchema, queryTestDatabase, skipWithoutPostgres, testDatabaseUrl } from '../helpers/postgres.ts';
import { startRelay, type TestRelay } from '../helpers/relay.ts';
import { survivorAndChild } from '../helpers/killed-instance.ts';
import { waitFor } from '../helpers/wait.ts';

const sections = (fake: FakeOpenAI) => ({
  ai: { upstreams: [{ name: 'fake', baseURL: fake.baseURL, apiKey: 'sk-fake', models: ['*'] }], concurrency: 1 },
  batches: { maxInFlight: 1, progressIntervalMs: 10, retryBackoffMs: 1 },
});
const customIds = (n: number) => Array.from({ length: n }, (_, i) => `req-${i + 1}`).sort();

describe('files and batches on two relay instances sharing one PostgreSQL database', { skip: skipWithoutPostgres }, () => {
  const schema = newSchema();
  let fake: FakeOpenAI;
  let lines: LineControl;
  let a: TestRelay;
  let b: TestRelay;
  before(async () => {
    fake = await startFakeOpenAI();
    lines = controlLines(fake);
    const options = {
      driver: 'postgres' as const,
      postgres: { url: testDatabaseUrl ?? '', schema, leaseSeconds: 1 },
      sections: sections(fake),
    };
    [a, b] = await Promise.all([startRelay(options), startRelay(options)]);
  });
  after(async () => {
    lines.release();
    await Promise.all([a?.stop(), b?.stop()]);
    await fake.close();
    await dropSchemas([schema]);
  });

  it('runs on B a batch whose input file was uploaded on A, and serves its output file on A', async () => {
    const input = inputLines(4, [3]);
    const file = await sdk(a).files.create({ file: await toFile(Buffer.from(input), 'input.jsonl'), purpose: 'batch' });
    assert.equal(await (await sdk(b).files.content(file.id)).text(), input, 'the bytes are readable on B');
    const blobRows = await queryTestDatabase<{ n: string }>(`SELECT count(*) AS n FROM ${schema}.relay_blobs WHERE id = $1`, [
      file.id,
    ]);
    assert.equal(blobRows[0]?.n, '1', 'the upload is kept in PostgreSQL');
    const batch = await sdk(b).batches.create({
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
    });
    const done = await waitForStatus(sdk(a), batch.id, 'completed');
    assert.deepEqual(done.request_counts, { total: 4, completed: 3, failed: 1 });
    const written = [...(await fileLines(sdk(a), done.output_file_id)), ...(await fileLines(sdk(a), done.error_file_id))];
    assert.deepEqual(written.map((l) => l.custom_id).sort(), customIds(4));
    const answer = written.find((l) => l.custom_id === 'req-1');
    assert.equal(answer?.response?.status_code, 200);
  });

  it('cancels on B a batch running on A: the line in flight is aborted and the unrun lines are reported cancelled', async () => {
    lines.holdAfter(1);
    const batch = await uploadAndCreate(sdk(a), inputLines(5));
    await waitFor('one line done and the next parked', async () => {
      const counts = (await sdk(a).batches.retrieve(batch.id)).request_counts;
      return counts?.completed === 1 && lines.parked === 1;
    });
    const parked = fake.requests.find((r) => r.paused);
    const cancelling = await sdk(b).batches.cancel(batch.id);
    assert.ok(['cancelling', 'cancelled'].includes(cancelling.status), cancelling.status);
    const done = await waitForStatus(sdk(b), batch.id, 'cancelled');
    await waitFor('the parked upstream request to be aborted', () => parked?.aborted);
    lines.release();
    const errors = await fileLines(sdk(b), done.error_file_id);
    assert.equal(errors.filter((l) => l.error?.code === 'batch_cancelled').length, 4);
    assert.deepEqual(
      (await fileLines(sdk(b), done.output_file_id)).map((l) => l.custom_id),
      ['req-1'],
    );
  });
});

describe('a batch of a relay instance killed with SIGKILL', { skip: skipWithoutPostgres, timeout: 60_000 }, () => {
  const pair = survivorAndChild('hookrelay-pg-batch-');

  it('is resumed on the surviving instance without sending the finished lines again', async () => {
    const fake = pair.fake;
    const lines = controlLines(fake);
    const survivor = await pair.startSurvivor(sections(fake));
    lines.holdAfter(3);
    const child = await pair.spawnChild(`ai:
  upstreams:
    - { name: fake, baseURL: "${fake.baseURL}", apiKey: sk-fake, models: ["*"] }
  concurrency: 1
batches: { maxInFlight: 1, progressIntervalMs: 10 }
`);
    const onChild = sdk({ url: child.url } as TestRelay);
    const batch = await uploadAndCreate(onChild, inputLines(6));
    await waitFor('three lines done and the fourth parked', async () => {
      const counts = (await onChild.batches.retrieve(batch.id)).request_counts;
      return counts?.completed === 3 && lines.parked === 1;
    });
    const sentBeforeKill = fake.requests.length;
    await pair.killChild();
    lines.release();

    const done = await waitForStatus(sdk(survivor), batch.id, 'completed');
    assert.deepEqual(done.request_counts, { total: 6, completed: 6, failed: 0 });
    const written = await fileLines(sdk(survivor), done.output_file_id);
    assert.deepEqual(written.map((l) => l.custom_id).sort(), customIds(6));
    const afterKill = fake.requests.slice(sentBeforeKill).map((r) => r.body?.messages?.[0]?.content);
    assert.deepEqual(
      ['hello 1', 'hello 2', 'hello 3'].filter((text) => afterKill.includes(text)),
      [],
      'lines finished before the kill are not sent again',
    );
    for (const n of [4, 5, 6]) assert.ok(afterKill.includes(`hello ${n}`), `line ${n} ran on the survivor`);
  });
});
