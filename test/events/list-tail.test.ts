import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startRelay, type TestRelay } from '../helpers/relay.ts';

interface Page {
  data: { id: string; source: string; type: string }[];
  has_more: boolean;
  last_id: string | null;
}

for (const driver of ['lowdb', 'memory'] as const) describeTail(driver);

function describeTail(driver: 'lowdb' | 'memory') {
  describe(`GET /v1/events?tail=true (the newest page, for consoles and tails), ${driver} store`, () => {
    let relay: TestRelay;
    const sent: { id: string; source: string; type: string }[] = [];

    async function list(query: string, auth = relay.auth): Promise<Page> {
      const res = await fetch(`${relay.url}/v1/events?${query}`, { headers: auth });
      assert.equal(res.status, 200);
      return (await res.json()) as Page;
    }

    before(async () => {
      relay = await startRelay({
        driver,
        sources: [
          { name: 'a', insecure: true, verify: { scheme: 'none' } },
          { name: 'b', insecure: true, verify: { scheme: 'none' } },
        ],
      });
      for (let i = 0; i < 12; i++) {
        const source = i % 3 === 0 ? 'b' : 'a';
        const type = i % 2 === 0 ? 'order.created' : 'order.paid';
        const res = await fetch(`${relay.url}/hooks/${source}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ type, n: i }),
        });
        sent.push({ id: ((await res.json()) as { id: string }).id, source, type });
      }
    });
    after(() => relay.stop());

    it('returns the newest matches, oldest first, with last_id the newest and has_more for older ones', async () => {
      const page = await list('tail=true&limit=5');
      assert.deepEqual(
        page.data.map((e) => e.id),
        sent.slice(-5).map((e) => e.id),
      );
      assert.equal(page.last_id, sent.at(-1)!.id);
      assert.equal(page.has_more, true);
      const all = await list('tail=true&limit=100');
      assert.equal(all.data.length, 12);
      assert.equal(all.has_more, false);
    });

    it('applies source, type glob and after before taking the newest', async () => {
      const paid = sent.filter((e) => e.source === 'a' && e.type === 'order.paid');
      const page = await list('tail=true&limit=2&source=a&type=order.p*');
      assert.deepEqual(
        page.data.map((e) => e.id),
        paid.slice(-2).map((e) => e.id),
      );
      const afterCursor = await list(`tail=true&limit=100&after=${sent[9].id}`);
      assert.deepEqual(
        afterCursor.data.map((e) => e.id),
        sent.slice(10).map((e) => e.id),
      );
    });

    it('takes the same globs as everywhere else: * anywhere, ? for one character', async () => {
      const paid = sent.filter((e) => e.type === 'order.paid');
      assert.deepEqual(
        (await list('limit=100&type=*.paid')).data.map((e) => e.id),
        paid.map((e) => e.id),
      );
      assert.deepEqual(
        (await list('tail=true&limit=100&type=order.?aid')).data.map((e) => e.id),
        paid.map((e) => e.id),
      );
      assert.equal((await list('limit=100&type=order.?')).data.length, 0);
    });

    it('gives a token scoped to one source only the newest of that source', async () => {
      const created = await fetch(`${relay.url}/v1/tokens`, {
        method: 'POST',
        headers: { ...relay.auth, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'only-b', sources: ['b'] }),
      });
      const { token } = (await created.json()) as { token: string };
      const page = await list('tail=true&limit=2', { authorization: `Bearer ${token}` });
      const onlyB = sent.filter((e) => e.source === 'b');
      assert.deepEqual(
        page.data.map((e) => e.id),
        onlyB.slice(-2).map((e) => e.id),
      );
      assert.equal(page.has_more, true);
    });

    it('refuses a tail value that is not a boolean', async () => {
      const res = await fetch(`${relay.url}/v1/events?tail=maybe`, { headers: relay.auth });
      assert.equal(res.status, 400);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'invalid_request');
    });
  });
}
