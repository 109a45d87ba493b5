import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { type ChildRelay, spawnRelay } from '../helpers/child-relay.ts';
import { type FakeOpenAI, startFakeOpenAI } from '../helpers/fake-openai.ts';
import { waitFor } from '../helpers/wait.ts';

const TOKEN = 'test-admin-token';

describe('a relay killed with SIGKILL mid-response', { timeout: 60_000 }, () => {
  let fake: FakeOpenAI;
  let dataDir: string;
  let child: ChildRelay | undefined;
  const configYaml = () =>
    `ai:\n  concurrency: 1\n  backoffMs: 1\n  upstreams:\n    - { name: fake, baseURL: "${fake.baseURL}", models: ["fake-*"] }\n`;
  before(async () => {
    fake = await startFakeOpenAI();
    dataDir = await mkdtemp(join(tmpdir(), 'hookrelay-ai-crash-'));
  });
  after(async () => {
    child?.child.kill('SIGKILL');
    await child?.exited;
    await fake.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('fails the response that was streaming and runs the one that was still queued after restart', async () => {
    fake.script({ tokenCount: 6, pauseAfter: 2 });
    child = await spawnRelay({ dataDir, configYaml: configYaml() });
    let client = new OpenAI({ apiKey: TOKEN, baseURL: `${child.url}/v1`, maxRetries: 0 });
    const streaming = await client.responses.create({ model: 'fake-1', input: 'a', background: true });
    const queued = await client.responses.create({ model: 'fake-1', input: 'b', background: true });
    // Stream events reach readers only once stored, so two deltas seen here are on disk.
    const stream = await client.responses.retrieve(streaming.id, { stream: true });
    let deltas = 0;
    for await (const event of stream) {
      if (event.type === 'response.output_text.delta' && ++deltas === 2) break;
    }
    assert.equal((await client.responses.retrieve(queued.id)).status, 'queued');
    child.child.kill('SIGKILL');
    await child.exited;

    child = await spawnRelay({ dataDir, configYaml: configYaml() });
    client = new OpenAI({ apiKey: TOKEN, baseURL: `${child.url}/v1`, maxRetries: 0 });
    const failed = await client.responses.retrieve(streaming.id);
    assert.equal(failed.status, 'failed');
    assert.equal((failed.error as { hookrelay_code?: string } | null)?.hookrelay_code, 'interrupted');
    assert.equal(failed.output_text, 't0 t1 ');
    const done = await waitFor('the re-queued response to complete', async () => {
      const r = await client.responses.retrieve(queued.id);
      return r.status === 'completed' ? r : undefined;
    });
    assert.equal(done.output_text, 't0 t1 t2 t3 t4 ');
    const replay = await client.responses.retrieve(streaming.id, { stream: true });
    const types: string[] = [];
    for await (const event of replay) types.push(event.type);
    assert.equal(types.at(-1), 'response.failed');
    assert.equal(types.filter((t) => t === 'response.output_text.delta').length, 2);
  });

  it('keeps every output item streamed before the kill: a reasoning item and the partial message', async () => {
    child?.child.kill('SIGKILL');
    await child?.exited;
    fake.script({ reasoning: ['Let me ', 'think.'], tokenCount: 6, pauseAfter: 2 });
    child = await spawnRelay({ dataDir, configYaml: configYaml() });
    let client = new OpenAI({ apiKey: TOKEN, baseURL: `${child.url}/v1`, maxRetries: 0 });
    const r = await client.responses.create({ model: 'fake-1', input: 'a', background: true });
    const stream = await client.responses.retrieve(r.id, { stream: true });
    let deltas = 0;
    for await (const event of stream) {
      if (event.type === 'response.output_text.delta' && ++deltas === 2) break;
    }
    child.child.kill('SIGKILL');
    await child.exited;

    child = await spawnRelay({ dataDir, configYaml: configYaml() });
    client = new OpenAI({ apiKey: TOKEN, baseURL: `${child.url}/v1`, maxRetries: 0 });
    const failed = await client.responses.retrieve(r.id);
    assert.equal(failed.status, 'failed');
    const [reasoning, message] = failed.output;
    assert.ok(reasoning?.type === 'reasoning');
    assert.deepEqual(reasoning.content, [{ type: 'reasoning_text', text: 'Let me think.' }]);
    assert.ok(message?.type === 'message');
    assert.equal(failed.output_text, 't0 t1 ');
  });
});
