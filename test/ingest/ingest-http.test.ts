import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Webhook } from 'svix';
import type { VerifyConfig } from '../../server/config/types.ts';
import { signHeaders } from '../../server/ingest/signers.ts';
import { startRelay, type TestRelay } from '../helpers/relay.ts';
import { waitFor } from '../helpers/wait.ts';

const SW_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const GOLDEN_SECRET = 'whsec_RdvaYFYUXuIFuEbvZHwMfYFhUf7aMYjYcmM24+Aj40c=';
const SOURCES = [
  { name: 'sw', verify: { scheme: 'standard-webhooks' as const, secrets: [SW_SECRET] } },
  { name: 'gh', verify: { scheme: 'github' as const, secrets: ['gh-secret'] } },
  { name: 'st', verify: { scheme: 'stripe' as const, secrets: ['whsec_stripe'] } },
  { name: 'shop', verify: { scheme: 'shopify' as const, secrets: ['shop-secret'] } },
  // Wide enough for OpenAI's recorded delivery from 2025.
  { name: 'openai', verify: { scheme: 'openai' as const, secrets: [GOLDEN_SECRET], toleranceSeconds: 10 * 365 * 86400 } },
];

type Answer = { id?: string; duplicate?: boolean; error?: { code: string; message: string } };

describe('ingest over HTTP', () => {
  let relay: TestRelay;
  before(async () => {
    relay = await startRelay({ sources: SOURCES, limits: { bodyBytes: 2048 } });
  });
  after(() => relay.stop());

  const stored = () => relay.relay.ctx.storage.events.count();
  async function post(source: string, body: string, headers: Record<string, string>) {
    const res = await fetch(`${relay.url}/hooks/${source}`, { method: 'POST', headers, body });
    return { status: res.status, body: (await res.json()) as Answer };
  }
  function signed(source: string, body: string, id?: string, timestamp?: number) {
    const verify = SOURCES.find((s) => s.name === source)?.verify as VerifyConfig;
    return { 'content-type': 'application/json', ...signHeaders({ verify, secret: verify.secrets[0], body, id, timestamp }) };
  }

  it("answers a repeated provider message id with the first id, for every scheme's id", async () => {
    const cases = [
      { source: 'sw', body: '{"type":"a"}', id: 'msg_dup_1' },
      { source: 'gh', body: '{"action":"opened"}', id: 'delivery-dup-1' },
      { source: 'st', body: '{"id":"evt_dup_1","type":"charge.succeeded"}', id: undefined },
      { source: 'shop', body: '{"id":1}', id: 'shop-dup-1' },
    ];
    for (const c of cases) {
      const first = await post(c.source, c.body, signed(c.source, c.body, c.id));
      assert.equal(first.status, 200, `${c.source}: ${JSON.stringify(first.body)}`);
      assert.equal(first.body.duplicate, false);
      const count = await stored();
      // Signed again (a provider's retry has a fresh timestamp): still the same message.
      const again = await post(c.source, c.body, signed(c.source, c.body, c.id, Math.floor(Date.now() / 1000) - 5));
      assert.deepEqual(again, { status: 200, body: { id: first.body.id, duplicate: true } }, c.source);
      assert.equal(await stored(), count, `${c.source}: nothing new stored`);
    }
  });

  it('stores one event when the same message arrives 20 times at once, and answers all with its id', async () => {
    const body = '{"type":"burst"}';
    const headers = signed('sw', body, 'msg_burst');
    const before = await stored();
    const answers = await Promise.all(Array.from({ length: 20 }, () => post('sw', body, headers)));
    assert.ok(answers.every((a) => a.status === 200));
    assert.equal(new Set(answers.map((a) => a.body.id)).size, 1);
    assert.equal(answers.filter((a) => a.body.duplicate === false).length, 1);
    assert.equal(await stored(), before + 1);
  });

  it('verifies the bytes as sent and keeps them: a body whose JSON re-serialises differently', async () => {
    const body = '{ "type" : "spaced.out",\n  "n": 1.0, "s": "\\u00e9" }';
    const seconds = Math.floor(Date.now() / 1000);
    const signature = new Webhook(SW_SECRET).sign('msg_spaced', new Date(seconds * 1000), body);
    const headers = {
      'content-type': 'application/json',
      'webhook-id': 'msg_spaced',
      'webhook-timestamp': String(seconds),
      'webhook-signature': signature,
    };
    const answer = await post('sw', body, headers);
    assert.equal(answer.status, 200);
    const raw = await fetch(`${relay.url}/v1/events/${answer.body.id}/raw`, { headers: relay.auth });
    assert.equal(await raw.text(), body);
    const event = (await (await fetch(`${relay.url}/v1/events/${answer.body.id}`, { headers: relay.auth })).json()) as {
      type: string;
      payload: unknown;
    };
    assert.equal(event.type, 'spaced.out');
    assert.deepEqual(event.payload, { type: 'spaced.out', n: 1, s: 'é' });
  });

  it("stores OpenAI's recorded delivery byte for byte, typed from its envelope", async () => {
    const body =
      '{"id": "evt_685c059ae3a481909bdc86819b066fb6", "object": "event", "created_at": 1750861210, "type": "response.completed", "data": {"id": "resp_123"}}';
    const headers = {
      'content-type': 'application/json',
      'webhook-id': 'wh_685c059ae39c8190af8c71ed1022a24d',
      'webhook-timestamp': '1750861210',
      'webhook-signature': 'v1,gUAg4R2hWouRZqRQG4uJypNS8YK885G838+EHb4nKBY=',
    };
    const answer = await post('openai', body, headers);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    const event = (await (await fetch(`${relay.url}/v1/events/${answer.body.id}`, { headers: relay.auth })).json()) as Record<
      string,
      unknown
    >;
    assert.deepEqual(
      [event.type, event.provider_id, event.verified],
      ['response.completed', headers['webhook-id'], { scheme: 'openai' }],
    );
    assert.equal(await (await fetch(`${relay.url}/v1/events/${answer.body.id}/raw`, { headers: relay.auth })).text(), body);
  });

  it('stores 50 different messages sent at once, each once, with ids in arrival order', async () => {
    const before = await stored();
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) => {
        const body = JSON.stringify({ type: 'fanin', i });
        return post('sw', body, signed('sw', body, `msg_fanin_${i}`));
      }),
    );
    assert.ok(answers.every((a) => a.status === 200 && a.body.duplicate === false));
    const ids = answers.map((a) => a.body.id as string);
    assert.equal(new Set(ids).size, 50);
    assert.equal(await stored(), before + 50);
    const list = (await (await fetch(`${relay.url}/v1/events?type=fanin&limit=100`, { headers: relay.auth })).json()) as {
      data: Array<{ id: string }>;
    };
    const listed = list.data.map((e) => e.id);
    assert.deepEqual(new Set(listed), new Set(ids));
    assert.deepEqual(listed, [...listed].sort(), 'listed oldest first, in id order');
  });

  it('answers a body over the limit with 413 payload_too_large and stores nothing', async () => {
    const body = JSON.stringify({ type: 'big', pad: 'x'.repeat(4096) });
    const before = await stored();
    const answer = await post('sw', body, signed('sw', body));
    assert.equal(answer.status, 413);
    assert.equal(answer.body.error?.code, 'payload_too_large');
    assert.equal(await stored(), before);
  });

  it('answers a chunked body (no Content-Length) that grows over the limit with 413 as well', async () => {
    const chunk = new TextEncoder().encode('x'.repeat(1024));
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 4) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const before = await stored();
    const res = await fetch(`${relay.url}/hooks/sw`, { method: 'POST', body, duplex: 'half' } as RequestInit);
    assert.equal(res.status, 413);
    assert.equal(((await res.json()) as Answer).error?.code, 'payload_too_large');
    assert.equal(await stored(), before);
  });

  it('answers a body in an encoding it cannot read with 415, and logs the refusal under the same code', async () => {
    const res = await fetch(`${relay.url}/hooks/gh`, {
      method: 'POST',
      headers: { 'content-encoding': 'snappy', 'x-github-delivery': 'enc-1' },
      body: 'x',
    });
    assert.equal(res.status, 415);
    assert.equal(((await res.json()) as Answer).error?.code, 'unsupported_media_type');
    await waitFor('the 415 in the rejection log', async () => {
      const list = (await (await fetch(`${relay.url}/v1/rejections?source=gh`, { headers: relay.auth })).json()) as {
        data: Array<{ status: number; code: string; headers: Record<string, string> }>;
      };
      return list.data.find(
        (r) => r.headers['x-github-delivery'] === 'enc-1' && r.status === 415 && r.code === 'unsupported_media_type',
      );
    });
  });

  it('answers a signed body labelled JSON that does not parse with 400 invalid_json and stores nothing', async () => {
    const body = '{"type": "broken",';
    const before = await stored();
    const answer = await post('sw', body, signed('sw', body));
    assert.equal(answer.status, 400);
    assert.equal(answer.body.error?.code, 'invalid_json');
    assert.equal(await stored(), before);
  });

  it('answers an unknown source with 404 source_not_found, and unknown routes with JSON not_found', async () => {
    const answer = await post('nope', '{}', { 'content-type': 'application/json' });
    assert.deepEqual(answer.status, 404);
    assert.equal(answer.body.error?.code, 'source_not_found');
    for (const [method, path] of [
      ['GET', '/nothing-here'],
      ['GET', '/hooks/sw'],
      ['DELETE', '/v1/nothing-here'],
    ]) {
      const res = await fetch(`${relay.url}${path}`, { method, headers: relay.auth });
      assert.equal(res.status, 404, path);
      assert.match(res.headers.get('content-type') ?? '', /application\/json/);
      const error = ((await res.json()) as Answer).error;
      assert.equal(error?.code, 'not_found');
      assert.ok(error?.message, 'a human sentence');
    }
  });

  it('keeps refusals in the rejection log with shortened signature headers and no secrets', async () => {
    const body = '{"type":"forged"}';
    const headers = { ...signed('gh', body), 'x-hub-signature-256': `sha256=${'ab'.repeat(32)}`, authorization: 'Bearer nope' };
    assert.equal((await post('gh', body, headers)).status, 401);
    // The log is written beside the answer, not before it: wait for the entry to appear.
    let text = '';
    const entry = await waitFor('the rejection to be logged', async () => {
      text = await (await fetch(`${relay.url}/v1/rejections?source=gh`, { headers: relay.auth })).text();
      const list = JSON.parse(text) as { data: Array<Record<string, unknown> & { headers: Record<string, string> }> };
      return list.data.find((r) => r.code === 'signature_invalid');
    });
    assert.equal(entry.source, 'gh');
    assert.equal(entry.status, 401);
    assert.ok(typeof entry.at === 'string' && !Number.isNaN(Date.parse(entry.at)));
    assert.ok(entry.headers['x-hub-signature-256'].length <= 13, 'signature value shortened');
    assert.equal(entry.headers.authorization, undefined);
    assert.ok(!text.includes('gh-secret') && !text.includes('ab'.repeat(32)) && !text.includes('Bearer nope'));
  });
});
