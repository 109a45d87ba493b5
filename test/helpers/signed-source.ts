import assert from 'node:assert/strict';
import { signHeaders } from '../../server/ingest/signers.ts';

/** A Standard Webhooks source named `shop` with a secret of its own, and ingest signed with it. */
export function signedShop(secretText: string) {
  const secret = `whsec_${Buffer.from(secretText).toString('base64')}`;
  const source = { name: 'shop', verify: { scheme: 'standard-webhooks' as const, secrets: [secret] } };
  /** POSTs a signed JSON event to a relay; asserts the 200 and answers the relay's reply. */
  async function ingest(relay: string | { url: string }, messageId: string, payload: unknown) {
    const url = typeof relay === 'string' ? relay : relay.url;
    const body = JSON.stringify(payload);
    const headers = signHeaders({ verify: source.verify, secret, body, id: messageId });
    const res = await fetch(`${url}/hooks/shop`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body,
    });
    assert.equal(res.status, 200, await res.clone().text());
    return (await res.json()) as { id: string; duplicate: boolean };
  }
  return { secret, source, ingest };
}
