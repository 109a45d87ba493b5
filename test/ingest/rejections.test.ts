import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startRelay, type TestRelay } from '../helpers/relay.ts';
import { waitFor } from '../helpers/wait.ts';

describe('the rejection log', () => {
  let relay: TestRelay;
  before(async () => {
    relay = await startRelay({
      limits: { rejections: 10 },
      sources: [{ name: 'sw', verify: { scheme: 'standard-webhooks', secrets: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'] } }],
    });
  });
  after(() => relay.stop());

  it('keeps the newest limits.rejections refusals, newest first, and can be filtered by source', async () => {
    for (let i = 0; i < 15; i++) {
      const res = await fetch(`${relay.url}/hooks/sw`, { method: 'POST', headers: { 'webhook-id': `r${i}` }, body: '{}' });
      assert.equal(res.status, 401);
    }
    const res = await fetch(`${relay.url}/hooks/other`, { method: 'POST', headers: { 'webhook-id': 'r-other' }, body: '{}' });
    assert.equal(res.status, 404);
    type Entry = { source: string; code: string; headers: Record<string, string> };
    const all = await waitFor('the last refusal to be logged', async () => {
      const list = (await (await fetch(`${relay.url}/v1/rejections?limit=1000`, { headers: relay.auth })).json()) as {
        data: Entry[];
      };
      return list.data[0]?.headers['webhook-id'] === 'r-other' ? list.data : undefined;
    });
    assert.equal(all.length, 10);
    assert.deepEqual(
      all.slice(1).map((r) => r.headers['webhook-id']),
      ['r14', 'r13', 'r12', 'r11', 'r10', 'r9', 'r8', 'r7', 'r6'],
    );
    assert.equal(all[1].code, 'signature_missing');
    assert.deepEqual([all[0].source, all[0].code], ['other', 'source_not_found']);
    const sw = (await (await fetch(`${relay.url}/v1/rejections?source=sw&limit=3`, { headers: relay.auth })).json()) as {
      data: Entry[];
    };
    assert.deepEqual(
      sw.data.map((r) => r.headers['webhook-id']),
      ['r14', 'r13', 'r12'],
    );
  });
});
