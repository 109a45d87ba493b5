import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import { defaultSubsystems } from '../../server/subsystems.ts';
import { startFakeOpenAI } from '../helpers/fake-openai-objects.ts';
import { memoryQueue, provideQueue } from '../helpers/memory-ai-queue.ts';
import { startRelay } from '../helpers/relay.ts';
import { waitFor } from '../helpers/wait.ts';
import { eventsOf, fileLines, inputLines, uploadAndCreate, waitForStatus } from './batch-helpers.ts';

const CHILD = fileURLToPath(new URL('../helpers/relay-with-memory-queue.ts', import.meta.url));

async function spawnChild(dataDir: string, upstream: string) {
  const child = spawn(process.execPath, [CHILD], {
    env: { ...process.env, HOOKRELAY_TEST_DATA_DIR: dataDir, HOOKRELAY_TEST_UPSTREAM: upstream },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = once(child, 'exit');
  const lines = createInterface({ input: child.stdout });
  const [first] = (await Promise.race([once(lines, 'line'), exited.then(() => ['{}'])])) as string[];
  const url = (JSON.parse(first) as { url?: string }).url;
  if (!url) throw new Error('the child relay exited before listening');
  return { child, url, exited };
}

describe('a batch across a crash', () => {
  const cleanup: Array<() => Promise<unknown>> = [];
  after(async () => {
    for (const step of cleanup.reverse()) await step();
  });

  it('resumes after kill -9 mid-batch and finishes with every custom_id exactly once', async () => {
    const upstream = await startFakeOpenAI();
    cleanup.push(() => upstream.close());
    const dataDir = await mkdtemp(join(tmpdir(), 'hookrelay-batch-restart-'));
    cleanup.push(() => rm(dataDir, { recursive: true, force: true }));

    upstream.holdAfter(3);
    const first = await spawnChild(dataDir, upstream.baseURL);
    cleanup.push(async () => first.child.exitCode === null && first.child.kill('SIGKILL'));
    let client = new OpenAI({ apiKey: 'test-admin-token', baseURL: `${first.url}/v1`, maxRetries: 0 });
    const batch = await uploadAndCreate(client, inputLines(10, [5]));
    await waitFor('three lines done and two parked', async () => {
      const counts = (await client.batches.retrieve(batch.id)).request_counts;
      return counts?.completed === 3 && upstream.parked === 2;
    });
    first.child.kill('SIGKILL');
    const [, signal] = await first.exited;
    assert.equal(signal, 'SIGKILL');
    upstream.release();

    const second = await startRelay({
      dataDir,
      subsystems: [...defaultSubsystems, provideQueue(memoryQueue(upstream.baseURL, 2))],
      sections: { batches: { maxInFlight: 2, progressIntervalMs: 10 } },
    });
    cleanup.push(() => second.stop());
    client = new OpenAI({ apiKey: 'test-admin-token', baseURL: `${second.url}/v1`, maxRetries: 0 });
    const done = await waitForStatus(client, batch.id, 'completed');
    assert.deepEqual(done.request_counts, { total: 10, completed: 9, failed: 1 });
    const lines = [...(await fileLines(client, done.output_file_id)), ...(await fileLines(client, done.error_file_id))];
    assert.deepEqual(lines.map((l) => l.custom_id).sort(), Array.from({ length: 10 }, (_, i) => `req-${i + 1}`).sort());

    const calls = (n: number) => upstream.requests.filter((r) => JSON.stringify(r.body).includes(`"hello ${n}"`)).length;
    assert.deepEqual([1, 2, 3].map(calls), [1, 1, 1], 'lines finished before the crash are not run again');
    assert.ok([4, 6, 7, 8, 9, 10].every((n) => calls(n) >= 1));
    const completedEvents = (await eventsOf(second, 'batch.completed')).filter((e) => e.payload.data.id === batch.id);
    assert.equal(completedEvents.length, 1);
  });
});
