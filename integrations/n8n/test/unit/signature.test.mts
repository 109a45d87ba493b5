import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { Webhook as SvixWebhook } from 'svix';
import { signature } from './dist.mts';

const secret = () => `whsec_${randomBytes(32).toString('base64')}`;
const body = Buffer.from('{"type":"order.created","data":{"id":42,"note":"ünïcode"}}');
const now = Math.floor(Date.now() / 1000);

/** Headers as the standardwebhooks library signs them, for a message sent `ageSeconds` ago. */
function signedBy(key: string, ageSeconds = 0, id = 'evt_vector') {
  const at = now - ageSeconds;
  return { id, timestamp: String(at), signature: new StandardWebhook(key).sign(id, new Date(at * 1000), body.toString()) };
}

describe('Standard Webhooks verification in the trigger, against the standardwebhooks and svix libraries', () => {
  it('accepts what standardwebhooks and svix sign, and returns the message id', () => {
    const key = secret();
    assert.deepEqual(signature.verify(body, signedBy(key), [key], now), { ok: true, id: 'evt_vector', timestamp: now });
    const svixSigned = new SvixWebhook(key).sign('msg_svix', new Date(now * 1000), body.toString());
    const result = signature.verify(body, { id: 'msg_svix', timestamp: String(now), signature: svixSigned }, [key], now);
    assert.equal(result.ok, true);
  });

  it('signs what both libraries verify', () => {
    const key = secret();
    const headers = {
      'webhook-id': 'evt_out',
      'webhook-timestamp': String(now),
      'webhook-signature': signature.sign(key, 'evt_out', now, body),
    };
    assert.deepEqual(new StandardWebhook(key).verify(body.toString(), headers), JSON.parse(body.toString()));
    assert.deepEqual(new SvixWebhook(key).verify(body.toString(), headers), JSON.parse(body.toString()));
  });

  it('accepts a rotation: two signatures, either secret known', () => {
    const [oldKey, newKey] = [secret(), secret()];
    const both = `${signedBy(oldKey).signature} ${signedBy(newKey).signature}`;
    const headers = { ...signedBy(newKey), signature: both };
    assert.equal(signature.verify(body, headers, [oldKey], now).ok, true);
    assert.equal(signature.verify(body, headers, [newKey], now).ok, true);
    assert.equal(signature.verify(body, headers, [secret()], now).ok, false);
  });

  it('refuses a wrong secret, a changed body, a changed id and a v1a signature as forged', () => {
    const key = secret();
    const headers = signedBy(key);
    const forged = (b: Buffer, h: typeof headers, keys: string[]) => signature.verify(b, h, keys, now);
    assert.equal((forged(body, headers, [secret()]) as { problem: string }).problem, 'forged');
    assert.equal((forged(Buffer.from(`${body} `), headers, [key]) as { problem: string }).problem, 'forged');
    assert.equal((forged(body, { ...headers, id: 'evt_other' }, [key]) as { problem: string }).problem, 'forged');
    const other = headers.signature.replace('v1,', 'v1a,');
    assert.equal((forged(body, { ...headers, signature: other }, [key]) as { problem: string }).problem, 'forged');
  });

  it('refuses stale and far-future timestamps as the libraries do (300 s), and honours a tolerance', () => {
    const key = secret();
    const stale = signedBy(key, 301);
    assert.throws(() =>
      new StandardWebhook(key).verify(body.toString(), {
        'webhook-id': stale.id,
        'webhook-timestamp': stale.timestamp,
        'webhook-signature': stale.signature,
      }),
    );
    assert.equal((signature.verify(body, stale, [key], now) as { problem: string }).problem, 'stale');
    assert.equal((signature.verify(body, signedBy(key, -301), [key], now) as { problem: string }).problem, 'stale');
    assert.equal(signature.verify(body, signedBy(key, 299), [key], now).ok, true);
    assert.equal(signature.verify(body, stale, [key], now, 600).ok, true);
  });

  it('refuses a request without the three headers as unsigned', () => {
    const key = secret();
    const full = signedBy(key);
    for (const missing of ['id', 'timestamp', 'signature'] as const) {
      const result = signature.verify(body, { ...full, [missing]: undefined }, [key], now);
      assert.equal((result as { problem: string }).problem, 'unsigned', missing);
    }
  });
});
