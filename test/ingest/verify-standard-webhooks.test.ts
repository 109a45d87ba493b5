import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import OpenAI from 'openai';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { Webhook as SvixWebhook } from 'svix';
import { ConfigError } from '../../server/errors.ts';
import { assertRefused, nowSeconds, verifierFor } from './verifier-harness.ts';
import { OPENAI_GOLDEN } from '../helpers/openai-golden.ts';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const OTHER = 'whsec_dGhlIG90aGVyIHNlY3JldCBvZiB0aGUgc2VuZGVy';
const BODY = '{"type": "invoice.paid",  "amount": 5}';

function svixHeaders(body: string, seconds: number, secret = SECRET, id = 'msg_1') {
  const signature = new SvixWebhook(secret).sign(id, new Date(seconds * 1000), body);
  return { 'webhook-id': id, 'webhook-timestamp': String(seconds), 'webhook-signature': signature };
}

describe('standard-webhooks verification', () => {
  const sw = verifierFor('standard-webhooks', { secrets: [SECRET] });

  it('accepts a message signed by the svix library and returns the webhook-id', () => {
    const now = nowSeconds();
    assert.deepEqual(sw.verify(svixHeaders(BODY, now), BODY, now), { scheme: 'standard-webhooks', providerId: 'msg_1' });
  });

  it('accepts a message signed by the standardwebhooks library', () => {
    const now = nowSeconds();
    const signature = new StandardWebhook(SECRET).sign('msg_std', new Date(now * 1000), BODY);
    const headers = { 'webhook-id': 'msg_std', 'webhook-timestamp': String(now), 'webhook-signature': signature };
    assert.equal(sw.verify(headers, BODY, now).providerId, 'msg_std');
  });

  it("accepts the specification's published example", () => {
    const headers = {
      'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek',
      'webhook-timestamp': '1614265330',
      'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    };
    assert.equal(sw.verify(headers, '{"test": 2432232314}', 1614265330).providerId, 'msg_p5jXN8AQM9LWM0D4loKWxJek');
  });

  it("accepts Svix's svix-* header names", () => {
    const now = nowSeconds();
    const h = svixHeaders(BODY, now);
    const headers = {
      'svix-id': h['webhook-id'],
      'svix-timestamp': h['webhook-timestamp'],
      'svix-signature': h['webhook-signature'],
    };
    assert.equal(sw.verify(headers, BODY, now).providerId, 'msg_1');
  });

  it('refuses a tampered body, even one that only re-serialises differently', () => {
    const now = nowSeconds();
    assertRefused(() => sw.verify(svixHeaders(BODY, now), BODY.replace('5', '6'), now), 'signature_invalid');
    assertRefused(() => sw.verify(svixHeaders(BODY, now), JSON.stringify(JSON.parse(BODY)), now), 'signature_invalid');
  });

  it('refuses a message signed with another secret', () => {
    const now = nowSeconds();
    assertRefused(() => sw.verify(svixHeaders(BODY, now, OTHER), BODY, now), 'signature_invalid');
  });

  it('refuses a message with any of the three headers missing', () => {
    const now = nowSeconds();
    for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature']) {
      const headers: Record<string, string> = svixHeaders(BODY, now);
      delete headers[name];
      assertRefused(() => sw.verify(headers, BODY, now), 'signature_missing');
    }
  });

  it('refuses timestamps more than the tolerance in the past or the future, and accepts them inside it', () => {
    const now = nowSeconds();
    assertRefused(() => sw.verify(svixHeaders(BODY, now - 301), BODY, now), 'timestamp_out_of_tolerance');
    assertRefused(() => sw.verify(svixHeaders(BODY, now + 301), BODY, now), 'timestamp_out_of_tolerance');
    assert.equal(sw.verify(svixHeaders(BODY, now - 299), BODY, now).providerId, 'msg_1');
    assert.equal(sw.verify(svixHeaders(BODY, now + 299), BODY, now).providerId, 'msg_1');
  });

  it('honours a source-specific toleranceSeconds', () => {
    const now = nowSeconds();
    const strict = verifierFor('standard-webhooks', { secrets: [SECRET], toleranceSeconds: 10 });
    assertRefused(() => strict.verify(svixHeaders(BODY, now - 11), BODY, now), 'timestamp_out_of_tolerance');
  });

  it('accepts either secret during rotation, and a signature list carrying the old and new signature', () => {
    const now = nowSeconds();
    const rotating = verifierFor('standard-webhooks', { secrets: [OTHER, SECRET] });
    assert.equal(rotating.verify(svixHeaders(BODY, now, SECRET), BODY, now).providerId, 'msg_1');
    assert.equal(rotating.verify(svixHeaders(BODY, now, OTHER), BODY, now).providerId, 'msg_1');
    const oldSig = svixHeaders(BODY, now, 'whsec_b2xkIHNlY3JldA==')['webhook-signature'];
    const newSig = svixHeaders(BODY, now, SECRET)['webhook-signature'];
    const headers = { ...svixHeaders(BODY, now), 'webhook-signature': `${oldSig} ${newSig}` };
    assert.equal(sw.verify(headers, BODY, now).providerId, 'msg_1');
  });

  it('signs the raw bytes: a body that is not valid UTF-8 verifies only byte for byte', () => {
    const now = nowSeconds();
    const key = Buffer.from(SECRET.slice(6), 'base64');
    const body = Buffer.from([0x7b, 0xff, 0xfe, 0x7d]);
    const signature = createHmac('sha256', key).update(`msg_b.${now}.`).update(body).digest('base64');
    const headers = { 'webhook-id': 'msg_b', 'webhook-timestamp': String(now), 'webhook-signature': `v1,${signature}` };
    assert.equal(sw.verify(headers, body, now).providerId, 'msg_b');
    // Same text after lossy UTF-8 decoding, different bytes: refused.
    assertRefused(() => sw.verify(headers, Buffer.from([0x7b, 0xfe, 0xff, 0x7d]), now), 'signature_invalid');
  });

  it('refuses a secret that is not whsec_ + base64 at start-up, naming the key path', () => {
    for (const secret of ['MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'whsec_', 'whsec_not base64!']) {
      assert.throws(
        () => verifierFor('standard-webhooks', { secrets: [SECRET, secret] }),
        (e: unknown) => e instanceof ConfigError && e.keyPath === 'sources[0].verify.secrets[1]',
      );
    }
  });
});

const GOLDEN = OPENAI_GOLDEN;

describe('openai verification', () => {
  it("accepts OpenAI's recorded delivery with a tolerance wide enough for its age", () => {
    const openai = verifierFor('openai', { secrets: [GOLDEN.secret], toleranceSeconds: 10 * 365 * 86400 });
    assert.deepEqual(openai.verify(GOLDEN.headers, GOLDEN.body, nowSeconds()), {
      scheme: 'openai',
      providerId: GOLDEN.headers['webhook-id'],
    });
  });

  it('refuses the recorded delivery under the default tolerance, and when its body is re-serialised', () => {
    const openai = verifierFor('openai', { secrets: [GOLDEN.secret] });
    assertRefused(() => openai.verify(GOLDEN.headers, GOLDEN.body, nowSeconds()), 'timestamp_out_of_tolerance');
    const compact = JSON.stringify(JSON.parse(GOLDEN.body));
    assertRefused(() => openai.verify(GOLDEN.headers, compact, GOLDEN.at), 'signature_invalid');
  });

  it('agrees with the openai SDK on a message it accepts and one it refuses', async () => {
    const client = new OpenAI({ apiKey: 'unused', baseURL: 'http://127.0.0.1:9/v1' });
    const now = nowSeconds();
    const body = '{"id": "evt_1", "object": "event", "created_at": 1, "type": "batch.completed", "data": {"id": "batch_1"}}';
    const headers = svixHeaders(body, now, GOLDEN.secret, 'wh_1');
    const openai = verifierFor('openai', { secrets: [GOLDEN.secret] });
    await client.webhooks.verifySignature(body, headers, GOLDEN.secret);
    assert.equal(openai.verify(headers, body, now).providerId, 'wh_1');
    const tampered = body.replace('batch_1', 'batch_2');
    await assert.rejects(client.webhooks.verifySignature(tampered, headers, GOLDEN.secret));
    assertRefused(() => openai.verify(headers, tampered, now), 'signature_invalid');
  });
});
