import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Stripe from 'stripe';
import { assertRefused, nowSeconds, verifierFor } from './verifier-harness.ts';

describe('github verification', () => {
  // GitHub's documented example for X-Hub-Signature-256 ("Validating webhook deliveries").
  const SECRET = "It's a Secret to Everybody";
  const BODY = 'Hello, World!';
  const SIGNATURE = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';
  const github = verifierFor('github', { secrets: [SECRET] });
  const headers = { 'x-hub-signature-256': SIGNATURE, 'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958' };

  it("accepts GitHub's documented example and returns X-GitHub-Delivery", () => {
    assert.deepEqual(github.verify(headers, BODY, nowSeconds()), {
      scheme: 'github',
      providerId: '72d3162e-cc78-11e3-81ab-4c9367dc0958',
    });
  });

  it('refuses a tampered body, a wrong secret and a missing header', () => {
    assertRefused(() => github.verify(headers, 'Hello, World?', nowSeconds()), 'signature_invalid');
    assertRefused(() => verifierFor('github', { secrets: ['not it'] }).verify(headers, BODY, nowSeconds()), 'signature_invalid');
    assertRefused(() => github.verify({ 'x-github-delivery': 'd' }, BODY, nowSeconds()), 'signature_missing');
    assertRefused(() => github.verify({ ...headers, 'x-hub-signature-256': SIGNATURE.slice(7) }, BODY, 0), 'signature_invalid');
  });

  it('accepts either secret during rotation', () => {
    const rotating = verifierFor('github', { secrets: ['the new one', SECRET] });
    assert.equal(rotating.verify(headers, BODY, nowSeconds()).scheme, 'github');
  });
});

describe('stripe verification', () => {
  const SECRET = 'whsec_test_5f2a0c8e9b';
  const stripe = new Stripe('sk_test_unused');
  const body = JSON.stringify({ id: 'evt_1Stripe', object: 'event', type: 'charge.succeeded' }, null, 2);
  const sign = (timestamp: number, secret = SECRET, payload = body) =>
    stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp });
  const verifier = verifierFor('stripe', { secrets: [SECRET] });

  it("accepts a header made by Stripe's own library and returns the event id", () => {
    const now = nowSeconds();
    assert.deepEqual(verifier.verify({ 'stripe-signature': sign(now) }, body, now), {
      scheme: 'stripe',
      providerId: 'evt_1Stripe',
    });
  });

  it('refuses a tampered body, a wrong secret and a missing or empty header', () => {
    const now = nowSeconds();
    assertRefused(
      () => verifier.verify({ 'stripe-signature': sign(now) }, body.replace('succeeded', 'failed'), now),
      'signature_invalid',
    );
    assertRefused(() => verifier.verify({ 'stripe-signature': sign(now, 'whsec_other') }, body, now), 'signature_invalid');
    assertRefused(() => verifier.verify({}, body, now), 'signature_missing');
    assertRefused(() => verifier.verify({ 'stripe-signature': `t=${now}` }, body, now), 'signature_invalid');
  });

  it('refuses stale and future timestamps beyond the tolerance', () => {
    const now = nowSeconds();
    assertRefused(() => verifier.verify({ 'stripe-signature': sign(now - 301) }, body, now), 'timestamp_out_of_tolerance');
    assertRefused(() => verifier.verify({ 'stripe-signature': sign(now + 301) }, body, now), 'timestamp_out_of_tolerance');
    assert.equal(verifier.verify({ 'stripe-signature': sign(now - 299) }, body, now).scheme, 'stripe');
  });

  it('accepts either secret during rotation, and a header carrying several v1 signatures', () => {
    const now = nowSeconds();
    const rotating = verifierFor('stripe', { secrets: ['whsec_new', SECRET] });
    assert.equal(rotating.verify({ 'stripe-signature': sign(now) }, body, now).providerId, 'evt_1Stripe');
    const other = sign(now, 'whsec_other').split(',')[1];
    assert.equal(verifier.verify({ 'stripe-signature': `${sign(now)},${other}` }, body, now).providerId, 'evt_1Stripe');
  });
});
