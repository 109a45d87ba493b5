import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { Webhook } from 'svix';
import { CONSOLE_CSP } from '../../server/http/security-headers.ts';
import { startRelay, type TestRelay } from '../helpers/relay.ts';
import { waitFor } from '../helpers/wait.ts';

// Most webhooks (a declared length, no content encoding, a plain /hooks/<name> URL) are read and
// answered before the Express app (server/ingest/direct.ts); every other shape takes the Express
// route. A sender must not be able to tell which one took its webhook.

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const SOURCES = ['sw', 'once', 'cut'].map((name) => ({
  name,
  verify: { scheme: 'standard-webhooks' as const, secrets: [SECRET] },
}));

type Answer = { id?: string; duplicate?: boolean; error?: { code: string; message: string } };

function signed(id: string, body: string): Record<string, string> {
  const at = new Date();
  return {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(SECRET).sign(id, at, body),
  };
}

/** A body the sender streams without a Content-Length (chunked transfer encoding). */
function chunked(text: string): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  return new ReadableStream({
    start(controller) {
      controller.enqueue(bytes.subarray(0, 5));
      controller.enqueue(bytes.subarray(5));
      controller.close();
    },
  });
}

function assertSecurityHeaders(res: Response, label: string) {
  assert.equal(res.headers.get('content-security-policy'), CONSOLE_CSP, label);
  assert.equal(res.headers.get('x-frame-options'), 'DENY', label);
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff', label);
  assert.equal(res.headers.get('referrer-policy'), 'no-referrer', label);
}

describe('ingest, whichever way a webhook arrives', () => {
  let relay: TestRelay;
  before(async () => {
    relay = await startRelay({ sources: SOURCES });
  });
  after(() => relay.stop());

  const api = async <T>(path: string) => (await (await fetch(`${relay.url}${path}`, { headers: relay.auth })).json()) as T;

  it('stores and answers a webhook alike with a declared length, chunked, gzip-compressed, with a query string or a trailing slash', async () => {
    const shapes: Array<{ label: string; path: string; init: (body: string) => RequestInit }> = [
      { label: 'declared length', path: '/hooks/sw', init: (body) => ({ body }) },
      { label: 'chunked', path: '/hooks/sw', init: (body) => ({ body: chunked(body), duplex: 'half' }) as RequestInit },
      {
        label: 'gzip',
        path: '/hooks/sw',
        init: (body) => ({ body: gzipSync(body), headers: { 'content-encoding': 'gzip' } }),
      },
      { label: 'query string', path: '/hooks/sw?from=test', init: (body) => ({ body }) },
      { label: 'trailing slash', path: '/hooks/sw/', init: (body) => ({ body }) },
    ];
    for (const [i, shape] of shapes.entries()) {
      const body = JSON.stringify({ type: 'order.paid', shape: shape.label, amount: i });
      const init = shape.init(body);
      const headers = { ...signed(`msg_shape_${i}`, body), 'x-forwarded-for': '203.0.113.9', ...(init.headers as object) };
      const res = await fetch(`${relay.url}${shape.path}`, { method: 'POST', ...init, headers });
      assert.equal(res.status, 200, shape.label);
      assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8', shape.label);
      assertSecurityHeaders(res, shape.label);
      const answer = (await res.json()) as Answer;
      assert.equal(answer.duplicate, false, shape.label);
      assert.match(String(answer.id), /^evt_/, shape.label);

      const event = await api<{ source: string; type: string; provider_id: string; payload: unknown }>(`/v1/events/${answer.id}`);
      assert.deepEqual(
        [event.source, event.type, event.provider_id, event.payload],
        ['sw', 'order.paid', `msg_shape_${i}`, JSON.parse(body)],
        shape.label,
      );
      const raw = await fetch(`${relay.url}/v1/events/${answer.id}/raw`, { headers: relay.auth });
      assert.equal(await raw.text(), body, shape.label);
      // The relay is reached through a proxy on loopback: the client is the address that proxy names.
      const activity = await api<{ request: { client_ip: string | null } }>(`/v1/events/${answer.id}/activity`);
      assert.equal(activity.request.client_ip, '203.0.113.9', shape.label);

      const again = await fetch(`${relay.url}${shape.path}`, { method: 'POST', ...shape.init(body), headers });
      assert.deepEqual(await again.json(), { id: answer.id, duplicate: true }, `${shape.label}, repeated`);
    }
  });

  it('answers a refused webhook with its coded error and the security headers, and counts and logs it once', async () => {
    const body = '{"type":"forged"}';
    const headers = { ...signed('msg_forged', body), 'webhook-signature': 'v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=' };
    const before = await relay.relay.ctx.storage.events.count();
    const res = await fetch(`${relay.url}/hooks/once`, { method: 'POST', headers, body });
    assert.equal(res.status, 401);
    assertSecurityHeaders(res, 'refusal');
    assert.equal(((await res.json()) as Answer).error?.code, 'signature_invalid');
    assert.equal(await relay.relay.ctx.storage.events.count(), before);

    const logged = await waitFor('the refusal in the rejection log', async () => {
      const list = await api<{ data: Array<{ code: string; status: number; ip: string }> }>('/v1/rejections?source=once');
      return list.data.length > 0 ? list.data : undefined;
    });
    assert.deepEqual(
      logged.map((r) => [r.status, r.code]),
      [[401, 'signature_invalid']],
    );
    assert.match(logged[0].ip, /127\.0\.0\.1/);
    const metrics = await (await fetch(`${relay.url}/metrics`)).text();
    assert.match(metrics, /^hookrelay_ingest_total\{source="once",outcome="signature_invalid"\} 1$/m);
  });

  it('refuses with 404 source_not_found a webhook whose source is deleted while its body arrives', async () => {
    const made = await fetch(`${relay.url}/v1/sources`, {
      method: 'POST',
      headers: { ...relay.auth, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'brief', insecure: true, verify: { scheme: 'none' } }),
    });
    assert.equal(made.status, 201);
    const url = new URL(relay.url);
    const socket = connect(Number(url.port), url.hostname);
    await new Promise((resolve) => socket.once('connect', resolve));
    let reply = '';
    socket.on('data', (chunk) => {
      reply += chunk;
    });
    const body = '{"type":"late"}';
    // 100-continue: the relay answers it when it takes the request, so the request is under way
    // before the source goes.
    socket.write(
      `POST /hooks/brief HTTP/1.1\r\nhost: ${url.host}\r\ncontent-type: application/json\r\n` +
        `expect: 100-continue\r\ncontent-length: ${body.length}\r\n\r\n${body.slice(0, 5)}`,
    );
    await waitFor('100 Continue', async () => (reply.startsWith('HTTP/1.1 100') ? true : undefined));
    const deleted = await fetch(`${relay.url}/v1/sources/brief`, { method: 'DELETE', headers: relay.auth });
    assert.equal(deleted.status, 200);
    socket.write(body.slice(5));
    await waitFor('the answer', async () =>
      /\r\n\r\n\{.*\}$/s.test(reply.split('HTTP/1.1 100 Continue\r\n\r\n')[1] ?? '') ? true : undefined,
    );
    socket.destroy();
    const answer = reply.split('HTTP/1.1 100 Continue\r\n\r\n')[1];
    assert.match(answer, /^HTTP\/1\.1 404 /);
    assert.equal((JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as Answer).error?.code, 'source_not_found');
  });

  it('logs a webhook whose sender hangs up mid-body as bad_request, with a declared length or chunked, and stays up', async () => {
    const url = new URL(relay.url);
    const requests = {
      'cut-declared': 'content-length: 100\r\n\r\n{"type":',
      'cut-chunked': 'transfer-encoding: chunked\r\n\r\n8\r\n{"type":\r\n',
    };
    for (const [id, rest] of Object.entries(requests)) {
      const socket = connect(Number(url.port), url.hostname);
      await new Promise((resolve) => socket.once('connect', resolve));
      // The headers and part of the body reach the relay; then the sender goes away.
      await new Promise((resolve) =>
        socket.write(`POST /hooks/cut HTTP/1.1\r\nhost: ${url.host}\r\nwebhook-id: ${id}\r\n${rest}`, resolve),
      );
      socket.destroy();
    }
    const logged = await waitFor('both refusals in the rejection log', async () => {
      const list = await api<{ data: Array<{ code: string; headers: Record<string, string> }> }>('/v1/rejections?source=cut');
      return list.data.length === 2 ? list.data : undefined;
    });
    assert.deepEqual(logged.map((r) => [r.headers['webhook-id'], r.code]).sort(), [
      ['cut-chunked', 'bad_request'],
      ['cut-declared', 'bad_request'],
    ]);
    const body = '{"type":"after"}';
    const res = await fetch(`${relay.url}/hooks/cut`, { method: 'POST', headers: signed('msg_after_cut', body), body });
    assert.equal(res.status, 200);
  });
});
