import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { DEFAULT_REDACTED_HEADERS } from '../../server/ingest/config.ts';
import { startRelay, type TestRelay } from '../helpers/relay.ts';

// Issue 14 item 13: credentials a sender put in request headers are not stored with the event, so they
// are never delivered, shown to reader tokens or handed to workflows.
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const relays: TestRelay[] = [];
after(async () => {
  for (const relay of relays) await relay.stop();
});

async function storedHeaders(relay: TestRelay, source: string, headers: Record<string, string>, body = '{"type":"t"}') {
  const res = await fetch(`${relay.url}/hooks/${source}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  assert.equal(res.status, 200, await res.clone().text());
  const { id } = (await res.json()) as { id: string };
  const event = (await (await fetch(`${relay.url}/v1/events/${id}`, { headers: relay.auth })).json()) as {
    headers: Record<string, string>;
  };
  return event.headers;
}

describe('credential headers at ingest', () => {
  it('drops the default credential headers, any case, after the signature was verified on them', async () => {
    const relay = await startRelay({ sources: [{ name: 'sw', verify: { scheme: 'standard-webhooks', secrets: [SECRET] } }] });
    relays.push(relay);
    const body = '{"type":"order.paid"}';
    const signed = new Webhook(SECRET).sign('msg_redact', new Date(), body);
    const credentials = {
      'X-Api-Key': 'k1',
      'api-key': 'k2',
      'x-auth-token': 't1',
      'X-Access-Token': 't2',
      'x-amz-security-token': 'a1',
    };
    const headers = await storedHeaders(
      relay,
      'sw',
      {
        'webhook-id': 'msg_redact',
        'webhook-timestamp': String(Math.floor(Date.now() / 1000)),
        'webhook-signature': signed,
        'x-request-id': 'kept',
        ...credentials,
      },
      body,
    );
    for (const name of Object.keys(credentials)) assert.equal(headers[name.toLowerCase()], undefined, `${name} was stored`);
    assert.equal(headers['x-request-id'], 'kept');
    assert.equal(headers['webhook-signature'], signed, 'the signature header is kept for receivers to check');
    assert.ok(DEFAULT_REDACTED_HEADERS.includes('x-api-key'));
  });

  it('keeps a source`s own signature header even when the list names it', async () => {
    const secret = 'hmac-secret';
    const relay = await startRelay({
      sources: [
        {
          name: 'custom',
          verify: { scheme: 'hmac', secrets: [secret], header: 'X-Auth-Token', algorithm: 'sha256', encoding: 'hex' },
        },
      ],
    });
    relays.push(relay);
    const body = '{"type":"signed"}';
    const signature = createHmac('sha256', secret).update(body).digest('hex');
    const headers = await storedHeaders(relay, 'custom', { 'x-auth-token': signature, 'x-api-key': 'dropped' }, body);
    assert.equal(headers['x-auth-token'], signature);
    assert.equal(headers['x-api-key'], undefined);
  });

  it('drops the headers ingest.redactHeaders names instead, and always authorization and cookies', async () => {
    const relay = await startRelay({
      sources: [{ name: 'dev', insecure: true, verify: { scheme: 'none' } }],
      sections: { ingest: { redactHeaders: ['X-Tenant-Secret'] } },
    });
    relays.push(relay);
    const headers = await storedHeaders(relay, 'dev', {
      'x-tenant-secret': 's',
      'x-api-key': 'listed-by-default-only',
      authorization: 'Bearer b',
      cookie: 'c=1',
    });
    assert.equal(headers['x-tenant-secret'], undefined);
    assert.equal(headers.authorization, undefined);
    assert.equal(headers.cookie, undefined);
    assert.equal(headers['x-api-key'], 'listed-by-default-only', 'the configured list replaces the default one');
  });
});
