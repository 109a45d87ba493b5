import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { memoryBuckets, type RateBuckets } from '../../server/keys/rate-buckets.ts';
import { Database } from '../../server/store/postgres/database.ts';
import { postgresBuckets } from '../../server/store/postgres/buckets.ts';
import { dropSchemas, newSchema, skipWithoutPostgres, testDatabaseUrl } from '../helpers/postgres.ts';
import { waitFor } from '../helpers/wait.ts';

/** One contract for every RateBuckets implementation. */
function bucketContract(name: string, make: () => RateBuckets, skip: string | false = false) {
  describe(`RateBuckets: ${name}`, { skip }, () => {
    it('grants a burst up to the capacity, then refuses with the wait for the next token', async () => {
      const buckets = make();
      for (let i = 0; i < 3; i++) assert.deepEqual(await buckets.take('a', 3, 60_000), { ok: true });
      const refused = await buckets.take('a', 3, 60_000);
      assert.equal(refused.ok, false);
      const wait = (refused as { retryAfterMs: number }).retryAfterMs;
      assert.ok(wait > 0 && wait <= 20_000, String(wait));
      assert.deepEqual(await buckets.take('b', 3, 60_000), { ok: true }, 'buckets are apart');
    });

    it('refills at capacity per period', async () => {
      const buckets = make();
      // Drawn until empty (however slow the machine, a take is faster than a second), then refilled.
      let refused = false;
      for (let i = 0; i < 100 && !refused; i++) refused = !(await buckets.take('fast', 2, 1000)).ok;
      assert.ok(refused, 'the bucket ran empty');
      await waitFor('a token again', async () => (await buckets.take('fast', 2, 1000)).ok);
    });
  });
}

bucketContract('memory', () => memoryBuckets(Date.now));

const schema = newSchema();
let db: Database | null = null;
bucketContract(
  'postgres (two connections pools: two instances)',
  () => {
    db ??= new Database({ url: testDatabaseUrl ?? '', schema });
    const other = new Database({ url: testDatabaseUrl ?? '', schema });
    after(() => other.close());
    const mine = postgresBuckets(db);
    const theirs = postgresBuckets(other);
    let n = 0;
    // Alternate instances: the bucket must be one, whichever instance draws from it.
    return { take: (name, capacity, period) => (n++ % 2 ? theirs : mine).take(name, capacity, period) };
  },
  skipWithoutPostgres,
);
after(async () => {
  await db?.close();
  await dropSchemas([schema]);
});
