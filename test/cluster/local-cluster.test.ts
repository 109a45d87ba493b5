import { LocalCluster } from '../../server/cluster/cluster.ts';
import { clusterContract } from './cluster.contract.ts';

let n = 0;
clusterContract('LocalCluster', async () => ({
  async member() {
    const cluster = new LocalCluster(`ins_${++n}`);
    await cluster.start();
    return cluster;
  },
  async close() {},
}));
