import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { aiSubsystem } from '../../server/ai/subsystem.ts';
import { eventsApi } from '../../server/events/subsystem.ts';
import { waitFor } from '../helpers/wait.ts';
import { type AiHarness, startAiRelay } from './helpers.ts';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

describe('webhook_url: a Standard Webhooks delivery when the response finishes', { timeout: 20_000 }, () => {
  let h: AiHarness;
  let receiver: Server;
  let receiverUrl = '';
  const received: Array<{ headers: IncomingHttpHeaders; body: string }> = [];
  before(async () => {
    h = await startAiRelay({ webhookSecret: SECRET });
    receiver = createServer(async (req, res) => {
      let body = '';
      for await (const chunk of req) body += chunk;
      received.push({ headers: req.headers, body });
      res.end('ok');
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  });
  after(async () => {
    await h.stop();
    receiver.closeAllConnections();
    await new Promise((resolve) => receiver.close(resolve));
  });

  it('signs a thin response.completed event that the standardwebhooks library verifies', async () => {
    h.fake.script({ tokens: ['done'] });
    const created = await h.client.responses.create({
      model: 'fake-1',
      input: 'x',
      background: true,
      // @ts-expect-error hookrelay extension field
      webhook_url: receiverUrl,
    });
    const delivery = await waitFor('the webhook delivery', () => received[0]);
    const payload = new Webhook(SECRET).verify(delivery.body, delivery.headers as Record<string, string>) as {
      object: string;
      type: string;
      data: { id: string };
    };
    assert.equal(payload.object, 'event');
    assert.equal(payload.type, 'response.completed');
    assert.equal(payload.data.id, created.id);
    assert.equal((await h.client.responses.retrieve(created.id)).output_text, 'done');
  });
});

describe('webhook_url and the destination policy', () => {
  it('refuses a metadata address in any spelling with 400 destination_refused, and creates nothing', async () => {
    const h = await startAiRelay({ webhookSecret: SECRET });
    try {
      for (const url of ['http://[::ffff:a9fe:a9fe]/latest/', 'http://168.63.129.16/', 'http://[64:ff9b::a9fe:a9fe]/']) {
        const res = await fetch(`${h.relay.url}/v1/responses`, {
          method: 'POST',
          headers: { ...h.relay.auth, 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'fake-1', input: 'x', background: true, webhook_url: url }),
        });
        assert.equal(res.status, 400, url);
        assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'destination_refused', url);
      }
      const list = (await (await fetch(`${h.relay.url}/v1/responses`, { headers: h.relay.auth })).json()) as { data: unknown[] };
      assert.deepEqual(list.data, []);
    } finally {
      await h.stop();
    }
  });
});

describe('webhook_url without a delivery engine', () => {
  it('is refused with webhooks_unavailable and nothing is created', async () => {
    const h = await startAiRelay({}, { driver: 'memory', subsystems: [eventsApi, aiSubsystem] });
    try {
      const res = await fetch(`${h.relay.url}/v1/responses`, {
        method: 'POST',
        headers: { ...h.relay.auth, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'fake-1', input: 'x', background: true, webhook_url: 'http://127.0.0.1:9/hook' }),
      });
      assert.equal(res.status, 400);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'webhooks_unavailable');
      const list = (await (await fetch(`${h.relay.url}/v1/responses`, { headers: h.relay.auth })).json()) as { data: unknown[] };
      assert.deepEqual(list.data, []);
    } finally {
      await h.stop();
    }
  });
});
