import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createTestContext } from '../testing.ts';
import plugin from './index.ts';

const line = (custom_id: string, status: number | null) =>
  JSON.stringify({
    id: `batch_req_${custom_id}`,
    custom_id,
    response: status === null ? null : { status_code: status, request_id: 'req_1', body: { n: custom_id } },
    error: status === null ? { code: 'batch_cancelled', message: 'not run' } : null,
  });

const FILES: Record<string, string> = {
  file_out: `${line('a', 200)}\n${line('b', 200)}\n`,
  file_err: `${line('c', 400)}\n${line('d', null)}\n`,
};

const context = () =>
  createTestContext({
    step: { id: 'results' },
    services: {
      files: { readAll: async (id: string) => Buffer.from(FILES[id] ?? '') },
      batches: {
        get: (id: string) => (id === 'batch_1' ? { output_file_id: 'file_out', error_file_id: 'file_err' } : undefined),
      },
    },
  });

type Emitted = { type: string; payload: Record<string, unknown> };

describe('batch.results', () => {
  it('emits one event per line of the output and error files of a batch', async () => {
    const ctx = context();
    const output = await plugin.run(ctx, { batch_id: 'batch_1' });
    assert.deepEqual(output, { emitted: 4, ok: 2, failed: 2 });
    const emitted = ctx.emitted as Emitted[];
    assert.deepEqual(
      emitted.map((e) => [e.type, e.payload.custom_id, e.payload.ok, e.payload.status_code]),
      [
        ['batch.result', 'a', true, 200],
        ['batch.result', 'b', true, 200],
        ['batch.result', 'c', false, 400],
        ['batch.result', 'd', false, null],
      ],
    );
    assert.deepEqual(emitted[0].payload.body, { n: 'a' });
    assert.deepEqual(emitted[3].payload.error, { code: 'batch_cancelled', message: 'not run' });
  });

  it('does not emit again the lines a resumed step already emitted', async () => {
    const ctx = context();
    await ctx.scratch.set('results.emitted', 3);
    await plugin.run(ctx, { batch_id: 'batch_1', type: 'my.result' });
    assert.deepEqual(
      (ctx.emitted as Emitted[]).map((e) => [e.type, e.payload.custom_id]),
      [['my.result', 'd']],
    );
  });

  it('refuses a file with more lines than maxLines, and an unknown batch', async () => {
    const ctx = context();
    await assert.rejects(plugin.run(ctx, { file_id: 'file_out', maxLines: 1 }), /more than maxLines/);
    await assert.rejects(plugin.run(ctx, { batch_id: 'batch_nope' }), /no batch batch_nope/);
    assert.equal(ctx.emitted.length, 0);
  });

  it('reads a file from a URL, such as OpenAI’s file content endpoint', async () => {
    const seen: Array<{ url: string; auth: string | null }> = [];
    const ctx = createTestContext({
      fetch: async (url, init) => {
        seen.push({ url: String(url), auth: new Headers(init?.headers).get('authorization') });
        return new Response(FILES.file_out);
      },
    });
    const output = await plugin.run(ctx, {
      url: 'https://api.example/v1/files/file-1/content',
      headers: { authorization: 'Bearer k' },
    });
    assert.deepEqual(output, { emitted: 2, ok: 2, failed: 0 });
    assert.deepEqual(seen, [{ url: 'https://api.example/v1/files/file-1/content', auth: 'Bearer k' }]);
  });
});
