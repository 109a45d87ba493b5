// The servers bench/scale.ts compares: a bare Express baseline, one relay on lowdb, and one or three
// relays sharing a PostgreSQL schema, each relay `hookrelay start` in its own child process.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { spawnRelay } from '../../test/helpers/child-relay.ts';
import { BENCH_SECRET } from './messages.ts';
import { BENCH_TOKEN, cpuSeconds, startBaseline, stopChild } from './relay-child.ts';

export interface Target {
  label: string;
  urls: string[];
  pids: Array<number | undefined>;
  relay: boolean;
  /**
   * On PostgreSQL: the statements the relays have sent so far, summed over the relays, by statement,
   * and the CPU seconds the server processes of their connections have used so far.
   */
  queries?(): Promise<{ counts: Record<string, number>; serverCpu: Record<string, number> }>;
  stop(): Promise<void>;
}

const COUNT_QUERIES = fileURLToPath(new URL('./count-queries.ts', import.meta.url));

interface RelayQueries {
  counts: Record<string, number>;
  /** PostgreSQL server process ids of the relay's connections. */
  backends: number[];
}

/** Asks a relay started with count-queries.ts for its counts (it writes them on SIGUSR2). */
async function queryCounts(pid: number | undefined, file: string): Promise<RelayQueries> {
  await unlink(file).catch(() => {});
  process.kill(pid as number, 'SIGUSR2');
  for (let polls = 0; polls < 500; polls++) {
    const text = await readFile(file, 'utf8').catch(() => '');
    try {
      if (text) return JSON.parse(text) as RelayQueries;
    } catch {
      // written as we read: read again
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`relay ${pid} did not write its query counts`);
}

const relayConfig = (store: string) => `sources:
  - name: bench
    verify: { scheme: standard-webhooks, secrets: ["${BENCH_SECRET}"] }
store: ${store}
`;

export async function baselineTarget(): Promise<Target> {
  const { url, child } = await startBaseline();
  return { label: 'bare express (baseline)', urls: [url], pids: [child.pid], relay: false, stop: () => stopChild(child) };
}

/** `count` relays; on PostgreSQL they share one new schema (dropped on stop). */
export async function relayTarget(label: string, driver: 'lowdb' | 'postgres', count: number): Promise<Target> {
  const schema = `bench_${randomBytes(4).toString('hex')}`;
  const store = driver === 'lowdb' ? '{ driver: lowdb }' : `{ driver: postgres, url: "\${DATABASE_URL}", schema: ${schema} }`;
  const dirs = await Promise.all(Array.from({ length: count }, () => mkdtemp(join(tmpdir(), 'hookrelay-bench-scale-'))));
  const countFile = (dataDir: string) => join(dataDir, 'bench-queries.json');
  const spawn = (dataDir: string) =>
    spawnRelay({
      dataDir,
      configYaml: relayConfig(store),
      adminToken: BENCH_TOKEN,
      ...(driver === 'postgres' && { nodeArgs: ['--import', COUNT_QUERIES] }),
      env: {
        ...(driver === 'postgres' && { BENCH_QUERY_COUNT_FILE: countFile(dataDir) }),
        // e.g. `--cpu-prof --cpu-prof-dir=DIR` to profile the relays
        ...(process.env.BENCH_RELAY_NODE_OPTIONS && { NODE_OPTIONS: process.env.BENCH_RELAY_NODE_OPTIONS }),
      },
    });
  // The first one applies the migrations; the others start together after it.
  const first = await spawn(dirs[0]);
  const others = await Promise.all(dirs.slice(1).map(spawn));
  const relays = [first, ...others];
  return {
    label,
    urls: relays.map((r) => r.url),
    pids: relays.map((r) => r.child.pid),
    relay: true,
    ...(driver === 'postgres' && {
      async queries() {
        const counts: Record<string, number> = {};
        const serverCpu: Record<string, number> = {};
        for (const [i, r] of relays.entries()) {
          const relay = await queryCounts(r.child.pid, countFile(dirs[i]));
          for (const [key, n] of Object.entries(relay.counts)) counts[key] = (counts[key] ?? 0) + n;
          for (const backend of relay.backends) {
            const seconds = await cpuSeconds(backend);
            if (Number.isFinite(seconds)) serverCpu[backend] = seconds;
          }
        }
        return { counts, serverCpu };
      },
    }),
    async stop() {
      for (const r of relays) await stopChild(r.child);
      await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
      if (driver === 'postgres') await dropSchema(schema);
    },
  };
}

async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await client.end();
}

/** CPU seconds the target's processes used so far. */
export async function targetCpu(t: Target): Promise<number> {
  return (await relayCpu(t)).reduce((a, b) => a + b, 0);
}

/** CPU seconds each of the target's processes used so far. */
export async function relayCpu(t: Target): Promise<number[]> {
  return Promise.all(t.pids.map((pid) => cpuSeconds(pid)));
}

/**
 * CPU seconds so far of every PostgreSQL server process on this machine, by pid: the relays' backends,
 * the server's own processes (WAL writer, checkpointer, autovacuum) and any other work on the server.
 */
export async function postgresProcessesCpu(): Promise<Record<string, number>> {
  const cpu: Record<string, number> = {};
  for (const pid of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(pid)) continue;
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    if (!stat.includes('(postgres)')) continue;
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    cpu[pid] = (Number(fields[11]) + Number(fields[12])) / 100;
  }
  return cpu;
}

/** Whole-machine CPU counters (/proc/stat): busy and total jiffies, every process included (PostgreSQL too). */
export async function machineCpu(): Promise<{ busy: number; total: number }> {
  const line = (await readFile('/proc/stat', 'utf8').catch(() => 'cpu 0 0 0 0')).split('\n')[0];
  const fields = line.trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  return { busy: total - (fields[3] ?? 0) - (fields[4] ?? 0), total };
}

/** Creates one endpoint on the first relay and waits until every relay lists it. */
export async function createEndpoint(t: Target, url: string): Promise<string> {
  const headers = { authorization: `Bearer ${BENCH_TOKEN}`, 'content-type': 'application/json' };
  const res = await fetch(`${t.urls[0]}/v1/endpoints`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ url, filter: { sources: ['bench'] }, concurrency: 50 }),
  });
  if (res.status !== 201) throw new Error(`endpoint: ${res.status} ${await res.text()}`);
  const { id } = (await res.json()) as { id: string };
  for (const relay of t.urls) {
    for (let polls = 0; ; polls++) {
      const list = (await (await fetch(`${relay}/v1/endpoints`, { headers })).json()) as { data: Array<{ id: string }> };
      if (list.data.some((e) => e.id === id)) break;
      if (polls > 500) throw new Error(`the endpoint never reached ${relay}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
  return id;
}
