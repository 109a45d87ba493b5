import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI, { type APIError } from 'openai';
import { startBatchRelay } from '../batches/batch-helpers.ts';
import { type FakeOpenAI, startFakeOpenAI } from '../helpers/fake-openai.ts';
import { ADMIN_TOKEN, type TestRelay } from '../helpers/relay.ts';

describe("errors in OpenAI's shape on the OpenAI routes", { timeout: 30_000 }, () => {
  let fake: FakeOpenAI;
  let relay: TestRelay;
  let client: OpenAI;
  before(async () => {
    fake = await startFakeOpenAI();
    relay = await startBatchRelay(fake);
    client = new OpenAI({ apiKey: ADMIN_TOKEN, baseURL: `${relay.url}/v1`, maxRetries: 0 });
  });
  after(async () => {
    await relay.stop();
    await fake.close();
  });

  const check = (status: number, type: string, code: string, param: string | null) => (err: APIError) => {
    assert.equal(err.status, status);
    assert.equal(err.type, type);
    assert.equal(err.code, code);
    assert.equal(err.param, param);
    assert.ok(err.message.length > 0);
    return true;
  };

  it('files, batches, models, responses and chat completions answer {message, type, param, code}', async () => {
    await assert.rejects(client.files.retrieve('file_nope'), check(404, 'invalid_request_error', 'not_found', null));
    await assert.rejects(
      client.batches.create({ input_file_id: 'file_nope', endpoint: '/v1/responses', completion_window: '24h' }),
      check(404, 'invalid_request_error', 'not_found', 'input_file_id'),
    );
    await assert.rejects(client.responses.retrieve('resp_nope'), check(404, 'invalid_request_error', 'not_found', null));
    await assert.rejects(
      client.responses.create({ model: 'm', input: 'x', temperature: 9 }),
      check(400, 'invalid_request_error', 'invalid_request', 'temperature'),
    );
    await assert.rejects(
      client.chat.completions.create({ model: 'm', messages: [] }),
      check(400, 'invalid_request_error', 'invalid_request', 'messages'),
    );
    const stranger = new OpenAI({ apiKey: 'wrong', baseURL: `${relay.url}/v1`, maxRetries: 0 });
    await assert.rejects(stranger.models.list(), check(401, 'authentication_error', 'unauthorized', null));
  });

  it("keeps the relay's own shape on its other routes", async () => {
    const res = await fetch(`${relay.url}/v1/events/evt_nope`, { headers: relay.auth });
    const body = (await res.json()) as { error: Record<string, unknown> };
    assert.equal(res.status, 404);
    assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message']);
  });
});
