import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pg from 'pg';
import { PostgresCluster } from '../../server/cluster/postgres-cluster.ts';
import { Database } from '../../server/store/postgres/database.ts';
import { dropSchemas, newSchema, queryTestDatabase, skipWithoutPostgres, testDatabaseUrl } from '../helpers/postgres.ts';
import { waitFor } from '../helpers/wait.ts';

// A heartbeat is what keeps an instance's claims its own. The rest of a tick (re-claiming roles,
// looking for silent instances, clean-up) can be slow on a busy database; if the next heartbeat
// waited for it, a live instance would go silent past the lease and the others would take its work
// (and send deliveries it has in flight a second time).
describe('PostgresCluster heartbeats', { skip: skipWithoutPostgres }, () => {
  it('keep landing while the rest of a tick is held up', async () => {
    const schema = newSchema();
    const db = new Database({ url: testDatabaseUrl ?? '', schema, maxConnections: 3 });
    const cluster = new PostgresCluster({ db, leaseMs: 600, onError: () => {} });
    const blocker = new pg.Client({ connectionString: testDatabaseUrl });
    try {
      await cluster.start();
      cluster.lead('test.role', { gained() {}, lost() {} });
      await blocker.connect();
      await blocker.query('BEGIN');
      // Claims (roles) and the clean-up of relay_claims now wait for this lock; heartbeats write relay_instances.
      await blocker.query(`LOCK TABLE ${schema}.relay_claims IN EXCLUSIVE MODE`);
      const seenAt = async () =>
        (
          await queryTestDatabase<{ seen: string }>(`SELECT seen_at::text AS seen FROM ${schema}.relay_instances WHERE id = $1`, [
            cluster.instanceId,
          ])
        )[0]?.seen;
      const seen = new Set([await seenAt()]);
      // Without its heartbeats landing, the instance would be silent for the others after 600 ms.
      await waitFor('three heartbeats landing while role claims wait for the lock', async () => {
        seen.add(await seenAt());
        return seen.size > 3;
      });
    } finally {
      await blocker.query('ROLLBACK').catch(() => {});
      await blocker.end().catch(() => {});
      await cluster.stop();
      await db.close();
      await dropSchemas([schema]);
    }
  });

  it('tell each instance how many others are live, so it knows whether anyone reads its notices', async () => {
    const schema = newSchema();
    const dbs = [0, 1].map(() => new Database({ url: testDatabaseUrl ?? '', schema, maxConnections: 2 }));
    const [a, b] = dbs.map((db) => new PostgresCluster({ db, leaseMs: 600, onError: () => {} }));
    try {
      await a.start();
      assert.equal(dbs[0].otherInstances, 0);
      await b.start();
      assert.equal(dbs[1].otherInstances, 1);
      await waitFor('A to count B at its next heartbeat', () => dbs[0].otherInstances === 1);
      await b.stop();
      await waitFor('A to count no other instance once B has left', () => dbs[0].otherInstances === 0);
    } finally {
      await a.stop();
      await b.stop();
      for (const db of dbs) await db.close();
      await dropSchemas([schema]);
    }
  });
});
