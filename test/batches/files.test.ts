import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import OpenAI, { toFile } from 'openai';
import { startRelay, type TestRelay } from '../helpers/relay.ts';

const JSONL = `${[1, 2, 3].map((n) => JSON.stringify({ custom_id: `r${n}`, method: 'POST', url: '/v1/responses', body: { model: 'm', input: `hi ${n}` } })).join('\n')}\n`;

describe('files API', () => {
  let relay: TestRelay;
  let client: OpenAI;
  before(async () => {
    relay = await startRelay({ sections: { batches: { maxFileBytes: 4096 } } });
    client = new OpenAI({ apiKey: 'test-admin-token', baseURL: `${relay.url}/v1`, maxRetries: 0 });
  });
  after(() => relay.stop());

  it('uploads a JSONL file with the SDK, keeps its bytes on disk and serves them back', async () => {
    const file = await client.files.create({ file: await toFile(Buffer.from(JSONL), 'input.jsonl'), purpose: 'batch' });
    assert.match(file.id, /^file_/);
    assert.equal(file.bytes, Buffer.byteLength(JSONL));
    assert.equal(file.filename, 'input.jsonl');
    assert.equal(file.purpose, 'batch');
    assert.ok((await readdir(join(relay.dataDir, 'files'))).includes(file.id), 'bytes are a file in the data dir');
    assert.deepEqual(await client.files.retrieve(file.id), file);
    assert.equal(await (await client.files.content(file.id)).text(), JSONL);
    const listed = await client.files.list();
    assert.ok(listed.data.some((f) => f.id === file.id));
  });

  it('deletes a file: metadata and bytes', async () => {
    const file = await client.files.create({ file: await toFile(Buffer.from(JSONL), 'gone.jsonl'), purpose: 'batch' });
    assert.deepEqual(await client.files.delete(file.id), { id: file.id, object: 'file', deleted: true });
    assert.equal(existsSync(join(relay.dataDir, 'files', file.id)), false);
    await assert.rejects(client.files.retrieve(file.id), (e: InstanceType<typeof OpenAI.APIError>) => e.status === 404);
  });

  it('refuses a file over the size limit with 413 and keeps nothing', async () => {
    const before = (await readdir(join(relay.dataDir, 'files'))).length;
    const big = Buffer.alloc(8192, 'x');
    await assert.rejects(
      client.files.create({ file: await toFile(big, 'big.jsonl'), purpose: 'batch' }),
      (e: InstanceType<typeof OpenAI.APIError>) => e.status === 413 && (e.error as { code: string }).code === 'payload_too_large',
    );
    assert.equal((await readdir(join(relay.dataDir, 'files'))).length, before);
  });

  it('refuses a purpose other than batch, and a body that is not multipart', async () => {
    await assert.rejects(
      client.files.create({ file: await toFile(Buffer.from(JSONL), 'x.jsonl'), purpose: 'fine-tune' }),
      (e: InstanceType<typeof OpenAI.APIError>) => e.status === 400 && /purpose/.test(e.message),
    );
    const res = await fetch(`${relay.url}/v1/files`, {
      method: 'POST',
      headers: { ...relay.auth, 'content-type': 'text/plain' },
      body: 'x',
    });
    assert.equal(res.status, 415);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'unsupported_media_type');
  });
});
