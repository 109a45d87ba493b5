import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Webhook } from 'svix';
import { createTestContext } from '../testing.ts';
import plugin from './index.ts';

const secret = `whsec_${Buffer.alloc(32, 3).toString('base64')}`;

describe('n8n.workflow step', () => {
  const seen: Array<{ headers: IncomingHttpHeaders; body: string; verified: unknown }> = [];
  let status = 200;
  const server = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    let verified: unknown = null;
    try {
      // Checked with the svix library at the request's own time (the test context's clock is fixed in the past).
      const at = Number(req.headers['webhook-timestamp']);
      const expected = new Webhook(secret).sign(String(req.headers['webhook-id']), new Date(at * 1000), body);
      verified = expected === req.headers['webhook-signature'] ? JSON.parse(body) : null;
    } catch {
      verified = null;
    }
    seen.push({ headers: req.headers, body, verified });
    res
      .writeHead(status, { 'content-type': 'application/json' })
      .end(JSON.stringify({ ok: status < 300, got: JSON.parse(body) }));
  });
  let url = '';
  before(async () => {
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhook/orders`;
  });
  after(() => server.close());

  it('posts a Standard Webhooks signed body with webhook-id = run id:step id and outputs the answer', async () => {
    const ctx = createTestContext({ run: { id: 'run_1', workflow: 'orders', triggerEventId: 'evt_9' }, step: { id: 'ask-n8n' } });
    const out = (await plugin.run(ctx, { url, secret })) as { status: number; body: unknown; webhook_id: string };
    const request = seen.at(-1);
    assert.equal(request?.headers['webhook-id'], 'run_1:ask-n8n');
    assert.deepEqual(request?.verified, { run_id: 'run_1', workflow: 'orders', event_id: 'evt_9' });
    assert.equal(out.status, 200);
    assert.equal(out.webhook_id, 'run_1:ask-n8n');
    assert.deepEqual(out.body, { ok: true, got: { run_id: 'run_1', workflow: 'orders', event_id: 'evt_9' } });
  });

  it('sends the same webhook-id on a retry of the step, so n8n can drop the repeat', async () => {
    const first = createTestContext({ run: { id: 'run_2' }, step: { id: 's', attempt: 1 } });
    const retry = createTestContext({ run: { id: 'run_2' }, step: { id: 's', attempt: 2 } });
    await plugin.run(first, { url, secret, json: { n: 1 } });
    await plugin.run(retry, { url, secret, json: { n: 1 } });
    const ids = seen.slice(-2).map((r) => r.headers['webhook-id']);
    assert.deepEqual(ids, ['run_2:s', 'run_2:s']);
    assert.deepEqual(seen.at(-1)?.verified, { n: 1 });
  });

  it('fails on an answer outside 2xx and on a secret that is not whsec_', async () => {
    status = 500;
    await assert.rejects(plugin.run(createTestContext(), { url, secret }), /n8n answered 500/);
    status = 200;
    await assert.rejects(plugin.run(createTestContext(), { url, secret: 'not a secret' }), /not a Standard Webhooks secret/);
  });

  it('waits for the callback event carrying its webhook id', async () => {
    const ctx = createTestContext({
      run: { id: 'run_3' },
      step: { id: 'cb' },
      events: [
        { id: 'evt_a', source: 'n8n', type: 'n8n.done', received_at: '', headers: {}, payload: { webhook_id: 'run_other:cb' } },
        {
          id: 'evt_b',
          source: 'n8n',
          type: 'n8n.done',
          received_at: '',
          headers: {},
          payload: { webhook_id: 'run_3:cb', answer: 42 },
        },
      ],
    });
    const out = (await plugin.run(ctx, { url, secret, callback: { type: 'n8n.done', timeout: '1h' } })) as {
      callback: { id: string };
    };
    assert.equal(out.callback.id, 'evt_b');
  });

  it('sends through the relay client, so the destination policy refuses what it must', async () => {
    const http = { send: async (req: { url: string }) => Promise.reject(new Error(`policy refused ${req.url}`)) };
    await assert.rejects(
      plugin.run(createTestContext({ http }), { url: 'http://169.254.169.254/webhook/x', secret }),
      /policy refused/,
    );
  });
});
