import type { RateBuckets } from '../../keys/rate-buckets.ts';
import type { Database } from './database.ts';

const TABLE = 'rate_buckets';
const NOW_MS = `(extract(epoch from clock_timestamp()) * 1000)`;

/**
 * Rate buckets as rows of relay_rows (table_name `rate_buckets`), refilled and drawn in one
 * statement on the database's clock: exact across instances, whatever their clocks say. The
 * statement commits without waiting for the WAL flush (synchronous_commit off for it alone): a
 * crash of the database may forget the last draws, which only refills a bucket early, and each
 * limited request costs a few milliseconds less.
 */
export function postgresBuckets(db: Database): RateBuckets {
  return {
    async take(name, capacity, periodMs) {
      await db.open();
      const rate = capacity / periodMs;
      const refilled = `LEAST($2::float8, (relay_rows.row->>'tokens')::float8 + (${NOW_MS} - (relay_rows.row->>'at')::float8) * $3::float8)`;
      const taken = await db.query<{ tokens: number }>(
        `INSERT INTO relay_rows (table_name, id, row)
           SELECT '${TABLE}', $1, jsonb_build_object('tokens', $2::float8 - 1, 'at', ${NOW_MS})
             FROM (SELECT set_config('synchronous_commit', 'off', true)) AS no_flush
         ON CONFLICT (table_name, id) DO UPDATE
           SET row = jsonb_build_object('tokens', ${refilled} - 1, 'at', ${NOW_MS})
           WHERE ${refilled} >= 1
         RETURNING (row->>'tokens')::float8 AS tokens`,
        [name, capacity, rate],
      );
      if (taken.rowCount === 1) return { ok: true };
      const { rows } = await db.query<{ tokens: number }>(
        `SELECT LEAST($2::float8, (row->>'tokens')::float8 + (${NOW_MS} - (row->>'at')::float8) * $3::float8) AS tokens
           FROM relay_rows WHERE table_name = '${TABLE}' AND id = $1`,
        [name, capacity, rate],
      );
      const tokens = rows[0]?.tokens ?? 0;
      return { ok: false, retryAfterMs: Math.max(1, Math.ceil((1 - tokens) / rate)) };
    },
  };
}
