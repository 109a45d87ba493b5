import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Webhook } from 'standardwebhooks';
import { type ObjectRoutes, controlLines, serveObjects } from '../helpers/fake-openai-extras.ts';
import { type FakeOpenAI, startFakeOpenAI } from '../helpers/fake-openai.ts';
import { startRelay, type TestRelay } from '../helpers/relay.ts';
import { waitFor } from '../helpers/wait.ts';
import { batchSections, type Json, inputLines, sdk, uploadAndCreate, waitForStatus } from './batch-helpers.ts';

const EXAMPLES = fileURLToPath(new URL('../../examples/workflows/', import.meta.url));
const SECRET = `whsec_${Buffer.from('example-workflows-secret-0123456').toString('base64')}`;
const ENV = ['OPENAI_BASE_URL', 'OPENAI_API_KEY', 'RECEIVER_URL', 'NOTIFY_URL', 'JOBS_URL'];

async function startReceiver() {
  const received: Json[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Json);
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/receive`;
  return { url, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('example workflows for batches and OpenAI webhooks', () => {
  let upstream: FakeOpenAI;
  let served: ObjectRoutes;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let relay: TestRelay;
  const events = async (query: string) =>
    ((await (await fetch(`${relay.url}/v1/events?${query}&limit=1000`, { headers: relay.auth })).json()) as Json).data as Json[];

  before(async () => {
    upstream = await startFakeOpenAI();
    served = serveObjects(upstream);
    controlLines(upstream);
    receiver = await startReceiver();
    Object.assign(process.env, { OPENAI_BASE_URL: upstream.baseURL, OPENAI_API_KEY: 'sk-test', RECEIVER_URL: receiver.url });
    relay = await startRelay({
      sources: [{ name: 'openai', verify: { scheme: 'openai', secrets: [SECRET] } }],
      sections: { ...batchSections(upstream), workflows: { dir: EXAMPLES, env: ENV, watch: false } },
    });
  });
  after(async () => {
    await relay.stop();
    await receiver.close();
    await upstream.close();
  });

  it('batch-results emits one batch.result event per line of a completed batch', async () => {
    const client = sdk(relay);
    const batch = await uploadAndCreate(client, inputLines(5, [4]));
    await waitForStatus(client, batch.id, 'completed');
    const results = await waitFor('five batch.result events', async () => {
      const found = (await events('source=workflow&type=batch.result')).filter((e) => e.payload.batch_id === batch.id);
      return found.length >= 5 ? found : null;
    });
    assert.equal(results.length, 5);
    assert.deepEqual(results.map((e) => e.payload.custom_id).sort(), ['req-1', 'req-2', 'req-3', 'req-4', 'req-5']);
    assert.deepEqual(
      results.filter((e) => !e.payload.ok).map((e) => [e.payload.custom_id, e.payload.status_code]),
      [['req-4', 400]],
    );
    assert.equal(results.find((e) => e.payload.custom_id === 'req-1')?.payload.body.object, 'chat.completion');
  });

  it('response-to-receiver fetches the output text of an OpenAI response and posts it', async () => {
    served.objects.set('resp_example', {
      id: 'resp_example',
      object: 'response',
      status: 'completed',
      output: [
        { type: 'reasoning', summary: [] },
        {
          type: 'message',
          role: 'assistant',
          content: [
            { type: 'output_text', text: 'Hello, ', annotations: [] },
            { type: 'output_text', text: 'world.', annotations: [] },
          ],
        },
      ],
    });
    const body = JSON.stringify({
      id: 'evt_example',
      object: 'event',
      created_at: Math.floor(Date.now() / 1000),
      type: 'response.completed',
      data: { id: 'resp_example' },
    });
    const seconds = Math.floor(Date.now() / 1000);
    const headers = {
      'content-type': 'application/json',
      'webhook-id': 'wh_example',
      'webhook-timestamp': String(seconds),
      'webhook-signature': new Webhook(SECRET).sign('wh_example', new Date(seconds * 1000), body),
    };
    const res = await fetch(`${relay.url}/hooks/openai`, { method: 'POST', headers, body });
    assert.equal(res.status, 200);
    await waitFor('the receiver to get the text', () => receiver.received.length === 1);
    assert.deepEqual(receiver.received[0], { response_id: 'resp_example', text: 'Hello, world.' });
    const get = upstream.requests.find((r) => r.path === '/v1/responses/resp_example');
    assert.equal(get?.headers.authorization, 'Bearer sk-test');
  });
});
