import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type FakeOpenAI, startFakeOpenAI } from '../helpers/fake-openai.ts';
import { startRelay, type TestRelay } from '../helpers/relay.ts';
import { waitFor } from '../helpers/wait.ts';

/** The SSE frames of a response body, exactly as sent (keep-alive comments left out). */
async function sseFrames(res: Response): Promise<string[]> {
  assert.equal(res.status, 200);
  const body = await res.text();
  return body.split('\n\n').filter((frame) => frame.startsWith('event: '));
}

const idOf = (frames: string[]) =>
  (JSON.parse((frames[0] as string).split('\ndata: ')[1] as string) as { response: { id: string } }).response.id;

describe('a replayed stream', { timeout: 30_000 }, () => {
  let fake: FakeOpenAI;
  let dataDir: string;
  let relay: TestRelay;
  const start = () =>
    startRelay({
      dataDir,
      sections: { ai: { backoffMs: 1, upstreams: [{ name: 'fake', baseURL: fake.baseURL, models: ['fake-*'] }] } },
    });
  before(async () => {
    fake = await startFakeOpenAI();
    dataDir = await mkdtemp(join(tmpdir(), 'hookrelay-replay-'));
    relay = await start();
  });
  after(async () => {
    await relay.stop();
    await fake.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  const replay = (id: string, startingAfter?: number) =>
    fetch(`${relay.url}/v1/responses/${id}?stream=true${startingAfter === undefined ? '' : `&starting_after=${startingAfter}`}`, {
      headers: relay.auth,
    }).then(sseFrames);

  it('is byte for byte the live stream, from the start, after any k, and after a restart', async () => {
    // Escapes, non-ASCII and a token split inside a word: the closing events repeat this text.
    const tokens = ['Hé', 'llo "wor', 'ld"\n', '\\ ✓ ', '𝄞', ' end'];
    fake.script({ tokens, usage: { prompt_tokens: 3, completion_tokens: tokens.length } });
    const live = await fetch(`${relay.url}/v1/responses`, {
      method: 'POST',
      headers: { ...relay.auth, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'fake-1', input: 'x', background: true, stream: true, metadata: { note: 'text' } }),
    }).then(sseFrames);
    assert.match(live.at(-1) as string, /^event: response\.completed\n/);
    assert.ok((live.at(-1) as string).includes(JSON.stringify(tokens.join(''))));
    const id = idOf(live);
    assert.deepEqual(await replay(id), live);
    for (const k of [0, 4, live.length - 6, live.length - 3, live.length - 2])
      assert.deepEqual(await replay(id, k), live.slice(k + 1));
    await relay.stop();
    relay = await start();
    assert.deepEqual(await replay(id), live);
    assert.deepEqual(await replay(id, live.length - 5), live.slice(-4));
  });

  it('is the live stream for a cancelled response too', async () => {
    fake.script({ tokenCount: 10, pauseAfter: 3 });
    const res = await fetch(`${relay.url}/v1/responses`, {
      method: 'POST',
      headers: { ...relay.auth, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'fake-1', input: 'x', background: true }),
    });
    const { id } = (await res.json()) as { id: string };
    const followed = replay(id);
    const upstream = await waitFor('the upstream to pause', () => fake.requests.find((r) => r.paused && !r.aborted));
    await fetch(`${relay.url}/v1/responses/${id}/cancel`, { method: 'POST', headers: relay.auth });
    await waitFor('the upstream to see the abort', () => upstream.aborted);
    const frames = await followed;
    assert.match(frames.at(-1) as string, /^event: response\.cancelled\n/);
    assert.deepEqual(await replay(id), frames);
  });
});
