import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { ConfigError } from '../../server/errors.ts';
import { assertRefused, verifierFor } from './verifier-harness.ts';

const BODY = '{"id": 820982911946154508, "email": "jon@example.com"}';
const hmac = (algorithm: string, secret: string, body: string) => createHmac(algorithm, secret).update(body);

describe('shopify verification', () => {
  // Shopify publishes no fixed example; this is its documented recipe: base64 HMAC-SHA256 of the raw body.
  const SECRET = 'shpss_0123456789abcdef';
  const shopify = verifierFor('shopify', { secrets: [SECRET] });
  const headers = (secret = SECRET, body = BODY) => ({
    'x-shopify-hmac-sha256': hmac('sha256', secret, body).digest('base64'),
    'x-shopify-webhook-id': 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043',
  });

  it('accepts a correctly signed body and returns X-Shopify-Webhook-Id', () => {
    assert.deepEqual(shopify.verify(headers(), BODY, 0), {
      scheme: 'shopify',
      providerId: 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043',
    });
  });

  it('refuses a tampered body, a wrong secret and a missing header', () => {
    assertRefused(() => shopify.verify(headers(), BODY.replace('jon', 'jan'), 0), 'signature_invalid');
    assertRefused(() => shopify.verify(headers('shpss_other'), BODY, 0), 'signature_invalid');
    assertRefused(() => shopify.verify({ 'x-shopify-webhook-id': 'x' }, BODY, 0), 'signature_missing');
  });

  it('accepts either secret during rotation', () => {
    const rotating = verifierFor('shopify', { secrets: ['shpss_new', SECRET] });
    assert.equal(rotating.verify(headers(), BODY, 0).scheme, 'shopify');
  });
});

describe('generic hmac verification', () => {
  const SECRET = 'a shared secret';

  it('verifies hex and base64 digests with every algorithm, with and without a prefix', () => {
    for (const algorithm of ['sha1', 'sha256', 'sha384', 'sha512'] as const) {
      for (const encoding of ['hex', 'base64'] as const) {
        for (const prefix of ['', `${algorithm}=`]) {
          const verifier = verifierFor('hmac', { secrets: [SECRET], header: 'X-Signature', algorithm, encoding, prefix });
          const value = prefix + hmac(algorithm, SECRET, BODY).digest(encoding);
          assert.equal(verifier.verify({ 'x-signature': value, 'webhook-id': 'm1' }, BODY, 0).providerId, 'm1');
          assertRefused(() => verifier.verify({ 'x-signature': value }, `${BODY} `, 0), 'signature_invalid');
        }
      }
    }
  });

  it('refuses a digest without the configured prefix, from another algorithm, or from a wrong secret', () => {
    const verifier = verifierFor('hmac', { secrets: [SECRET], header: 'X-Sig', algorithm: 'sha256', prefix: 'sha256=' });
    assertRefused(() => verifier.verify({ 'x-sig': hmac('sha256', SECRET, BODY).digest('hex') }, BODY, 0), 'signature_invalid');
    assertRefused(
      () => verifier.verify({ 'x-sig': `sha256=${hmac('sha1', SECRET, BODY).digest('hex')}` }, BODY, 0),
      'signature_invalid',
    );
    assertRefused(
      () => verifier.verify({ 'x-sig': `sha256=${hmac('sha256', 'x', BODY).digest('hex')}` }, BODY, 0),
      'signature_invalid',
    );
    assertRefused(() => verifier.verify({}, BODY, 0), 'signature_missing');
  });

  it('accepts an upper-case hex digest, reads the provider id from idHeader, and rotates secrets', () => {
    const verifier = verifierFor('hmac', { secrets: ['new', SECRET], header: 'X-Sig', idHeader: 'X-Request-Id' });
    const value = hmac('sha256', SECRET, BODY).digest('hex').toUpperCase();
    assert.equal(verifier.verify({ 'x-sig': value, 'x-request-id': 'r-7' }, BODY, 0).providerId, 'r-7');
  });

  it('needs a header and at least one secret at start-up', () => {
    assert.throws(
      () => verifierFor('hmac', { secrets: [SECRET] }),
      (e: unknown) => e instanceof ConfigError && e.keyPath === 'sources[0].verify.header',
    );
    assert.throws(
      () => verifierFor('hmac', { header: 'X' }),
      (e: unknown) => e instanceof ConfigError && e.keyPath === 'sources[0].verify.secrets',
    );
  });
});

describe('scheme none', () => {
  it('is refused without insecure: true and accepts anything with it', () => {
    assert.throws(
      () => verifierFor('none'),
      (e: unknown) => e instanceof ConfigError && /insecure: true/.test(e.message),
    );
    assert.deepEqual(verifierFor('none', {}, true).verify({ 'webhook-id': 'x1' }, 'anything', 0), {
      scheme: 'none',
      providerId: 'x1',
    });
  });
});
