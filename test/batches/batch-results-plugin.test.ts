import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import plugin from '../../plugins/batch.results/index.ts';

const line = (custom_id: string, status: number | null) =>
  JSON.stringify({
    id: `batch_req_${custom_id}`,
    custom_id,
    response: status === null ? null : { status_code: status, request_id: 'req_1', body: { n: custom_id } },
    error: status === null ? { code: 'batch_cancelled', message: 'not run' } : null,
  });

function context(files: Record<string, string>, scratch = new Map<string, unknown>()) {
  const emitted: Array<{ type: string; payload: Record<string, unknown> }> = [];
  const ctx = {
    fetch: globalThis.fetch,
    signal: new AbortController().signal,
    step: { id: 'results' },
    scratch: { get: (k: string) => scratch.get(k), set: async (k: string, v: unknown) => void scratch.set(k, v) },
    async emit(event: { type: string; payload: unknown }) {
      emitted.push(event as (typeof emitted)[number]);
      return { id: `evt_${emitted.length}` };
    },
    services: {
      get<T>(name: string): T | undefined {
        if (name === 'files') return { readAll: async (id: string) => Buffer.from(files[id] ?? '') } as T;
        if (name === 'batches') return { get: () => ({ output_file_id: 'file_out', error_file_id: 'file_err' }) } as T;
        return undefined;
      },
    },
  };
  return { ctx, emitted, scratch };
}

describe('batch.results step plugin', () => {
  const files = { file_out: `${line('a', 200)}\n${line('b', 200)}\n`, file_err: `${line('c', 400)}\n${line('d', null)}\n` };

  it('emits one event per line of the output and error files of a batch', async () => {
    const { ctx, emitted } = context(files);
    const output = await plugin.run(ctx, { batch_id: 'batch_1' });
    assert.deepEqual(output, { emitted: 4, ok: 2, failed: 2 });
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
    const { ctx, emitted } = context(files, new Map([['results.emitted', 3]]));
    await plugin.run(ctx, { batch_id: 'batch_1', type: 'my.result' });
    assert.deepEqual(
      emitted.map((e) => [e.type, e.payload.custom_id]),
      [['my.result', 'd']],
    );
  });

  it('refuses a file with more lines than maxLines', async () => {
    const { ctx, emitted } = context(files);
    await assert.rejects(plugin.run(ctx, { file_id: 'file_out', maxLines: 1 }), /more than maxLines/);
    assert.equal(emitted.length, 0);
  });
});
