import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import OpenAI from 'openai';
import { spawnRelay } from '../helpers/child-relay.ts';
import { controlLines } from '../helpers/fake-openai-extras.ts';
import { startFakeOpenAI } from '../helpers/fake-openai.ts';
import { waitFor } from '../helpers/wait.ts';
import { fileLines, inputLines, uploadAndCreate, waitForStatus, type Json } from './batch-helpers.ts';

const configYaml = (baseURL: string) => `
ai:
  upstreams:
    - { name: fake, baseURL: "${baseURL}", apiKey: sk-fake, models: ["*"] }
  concurrency: 2
batches: { maxInFlight: 2, progressIntervalMs: 10 }
`;

describe('a batch across a crash', () => {
  const cleanup: Array<() => Promise<unknown>> = [];
  after(async () => {
    for (const step of cleanup.reverse()) await step();
  });

  it('resumes after kill -9 mid-batch and finishes with every custom_id exactly once', async () => {
    const upstream = await startFakeOpenAI();
    cleanup.push(() => upstream.close());
    const lines = controlLines(upstream);
    const dataDir = await mkdtemp(join(tmpdir(), 'hookrelay-batch-restart-'));
    cleanup.push(() => rm(dataDir, { recursive: true, force: true }));

    // Lines 4 and later park by number: which lines pass must not depend on the order the two in-flight
    // requests reach the upstream (holdAfter(3) let line 4 pass and parked line 3 when line 4's request
    // arrived first, and line 3 then ran after the restart, as it should, failing the test).
    lines.holdFrom(4);
    const first = await spawnRelay({ dataDir, configYaml: configYaml(upstream.baseURL) });
    cleanup.push(async () => first.child.exitCode === null && first.child.kill('SIGKILL'));
    let client = new OpenAI({ apiKey: 'test-admin-token', baseURL: `${first.url}/v1`, maxRetries: 0 });
    const batch = await uploadAndCreate(client, inputLines(10, [5]));
    await waitFor('lines 1 to 3 done, line 5 failed, lines 4 and 6 parked', async () => {
      const counts = (await client.batches.retrieve(batch.id)).request_counts;
      return counts?.completed === 3 && counts.failed === 1 && lines.parked === 2;
    });
    const sentBeforeCrash = upstream.requests.length;
    const answered = upstream.requests.filter((r) => !r.paused).map((r) => r.body?.messages?.[0]?.content);
    assert.deepEqual(answered.sort(), ['FAIL 5', 'hello 1', 'hello 2', 'hello 3'], 'the upstream answered lines 1, 2, 3 and 5');
    first.child.kill('SIGKILL');
    assert.equal((await first.exited).signal, 'SIGKILL');
    lines.release();

    const second = await spawnRelay({ dataDir, configYaml: configYaml(upstream.baseURL) });
    cleanup.push(async () => {
      second.child.kill('SIGTERM');
      await second.exited;
    });
    client = new OpenAI({ apiKey: 'test-admin-token', baseURL: `${second.url}/v1`, maxRetries: 0 });
    const done = await waitForStatus(client, batch.id, 'completed');
    assert.deepEqual(done.request_counts, { total: 10, completed: 9, failed: 1 });
    const written = [...(await fileLines(client, done.output_file_id)), ...(await fileLines(client, done.error_file_id))];
    assert.deepEqual(written.map((l) => l.custom_id).sort(), Array.from({ length: 10 }, (_, i) => `req-${i + 1}`).sort());

    const afterRestart = upstream.requests.slice(sentBeforeCrash).map((r) => r.body?.messages?.[0]?.content);
    assert.deepEqual(
      ['hello 1', 'hello 2', 'hello 3'].filter((text) => afterRestart.includes(text)),
      [],
      'lines finished before the crash are not sent again',
    );
    for (const n of [4, 6, 7, 8, 9, 10]) assert.ok(afterRestart.includes(`hello ${n}`), `line ${n} ran after the restart`);
    const events = await fetch(`${second.url}/v1/events?source=ai&type=batch.completed`, {
      headers: { authorization: 'Bearer test-admin-token' },
    });
    const completed = ((await events.json()) as Json).data.filter((e: Json) => e.payload.data.id === batch.id);
    assert.equal(completed.length, 1);
  });
});
