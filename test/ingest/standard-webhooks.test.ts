import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Webhook } from 'svix';
import { startRelay, type TestRelay } from '../helpers/relay.ts';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

function signed(body: string, id: string, seconds = Math.floor(Date.now() / 1000)) {
  const signature = new Webhook(SECRET).sign(id, new Date(seconds * 1000), body);
  return {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(seconds),
    'webhook-signature': signature,
  };
}

describe('ingest with a Standard Webhooks source', () => {
  let relay: TestRelay;
  before(async () => {
    relay = await startRelay({ sources: [{ name: 'sw', verify: { scheme: 'standard-webhooks', secrets: [SECRET] } }] });
  });
  after(() => relay.stop());

  it('accepts a message signed with the svix library and stores it before answering', async () => {
    const body = JSON.stringify({ type: 'invoice.paid', amount: 5 });
    const res = await fetch(`${relay.url}/hooks/sw`, { method: 'POST', headers: signed(body, 'msg_one'), body });
    assert.equal(res.status, 200);
    const answer = (await res.json()) as { id: string; duplicate: boolean };
    assert.equal(answer.duplicate, false);
    assert.match(answer.id, /^evt_/);
    const stored = await fetch(`${relay.url}/v1/events/${answer.id}`, { headers: relay.auth });
    const event = (await stored.json()) as Record<string, unknown>;
    assert.equal(event.type, 'invoice.paid');
    assert.equal(event.provider_id, 'msg_one');
    assert.deepEqual(event.verified, { scheme: 'standard-webhooks' });
    const raw = await fetch(`${relay.url}/v1/events/${answer.id}/raw`, { headers: relay.auth });
    assert.equal(await raw.text(), body);
  });

  it('answers a repeated webhook-id with the first id and duplicate: true', async () => {
    const body = JSON.stringify({ type: 'x' });
    const first = (await (
      await fetch(`${relay.url}/hooks/sw`, { method: 'POST', headers: signed(body, 'msg_dup'), body })
    ).json()) as { id: string };
    const again = await fetch(`${relay.url}/hooks/sw`, { method: 'POST', headers: signed(body, 'msg_dup'), body });
    assert.deepEqual(await again.json(), { id: first.id, duplicate: true });
    const list = (await (await fetch(`${relay.url}/v1/events?source=sw&type=x`, { headers: relay.auth })).json()) as {
      data: unknown[];
    };
    assert.equal(list.data.length, 1);
  });

  it('refuses a tampered body with signature_invalid and stores nothing', async () => {
    const before = (await (await fetch(`${relay.url}/v1/events?limit=1000`, { headers: relay.auth })).json()) as {
      data: unknown[];
    };
    const headers = signed('{"type":"a"}', 'msg_tampered');
    const res = await fetch(`${relay.url}/hooks/sw`, { method: 'POST', headers, body: '{"type":"b"}' });
    assert.equal(res.status, 401);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'signature_invalid');
    const afterList = (await (await fetch(`${relay.url}/v1/events?limit=1000`, { headers: relay.auth })).json()) as {
      data: unknown[];
    };
    assert.equal(afterList.data.length, before.data.length);
  });

  it('answers an unknown source with 404 source_not_found', async () => {
    const res = await fetch(`${relay.url}/hooks/nope`, { method: 'POST', body: '{}' });
    assert.equal(res.status, 404);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'source_not_found');
  });
});
