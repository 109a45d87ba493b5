import { describe, it } from 'node:test';
import type { Cluster } from '../../server/cluster/cluster.ts';
import { PostgresCluster } from '../../server/cluster/postgres-cluster.ts';
import { Database } from '../../server/store/postgres/database.ts';
import { clusterContract } from '../cluster/cluster.contract.ts';
import { dropSchemas, newSchema, skipWithoutPostgres, testDatabaseUrl } from '../helpers/postgres.ts';

// Claims, roles and messages among instances, each with its own connection pool on one schema, as
// separate relay processes would have. A killed instance is one whose pool is gone without stop():
// it neither heartbeats nor releases anything.
if (skipWithoutPostgres) {
  describe('PostgresCluster', () => {
    it('runs the cluster contract against PostgreSQL', { skip: skipWithoutPostgres }, () => {});
  });
} else {
  clusterContract(
    'PostgresCluster',
    async () => {
      const schema = newSchema();
      const members: Array<{ cluster: Cluster; db: Database }> = [];
      return {
        async member() {
          const db = new Database({ url: testDatabaseUrl ?? '', schema, maxConnections: 3 });
          const cluster = new PostgresCluster({ db, leaseMs: 600, onError: () => {} });
          await cluster.start();
          members.push({ cluster, db });
          return cluster;
        },
        async kill(cluster) {
          const member = members.find((m) => m.cluster === cluster);
          await member?.db.close();
        },
        async close() {
          for (const { cluster, db } of members) {
            await cluster.stop();
            await db.close();
          }
          await dropSchemas([schema]);
        },
      };
    },
    true,
  );
}
