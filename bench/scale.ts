// npm run bench:scale: signed Standard Webhooks ingest, and end to end (signed webhook in → stored →
// signed delivery → endpoint receiver), against one relay on lowdb, one relay on PostgreSQL and three
// relays sharing one PostgreSQL schema (load spread evenly over the three), with a bare Express
// baseline for ingest, all in one run. Ingest alternates between the targets in short rounds, so other
// work on the machine weighs on all alike. Needs DATABASE_URL. Not a test: figures for docs/benchmarks.md.
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { cpus, loadavg } from 'node:os';
import { type LoadResult, runLoad } from './lib/load.ts';
import { preSign } from './lib/messages.ts';
import {
  baselineTarget,
  createEndpoint,
  machineCpu,
  postgresProcessesCpu,
  relayCpu,
  relayTarget,
  type Target,
  targetCpu,
} from './lib/scale-targets.ts';
import { sized } from './lib/quick.ts';
import { report as reportGoal } from './lib/summary.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? sized(3, 1));
const PER_ROUND = Number(process.env.BENCH_PER_ROUND ?? sized(2_000, 500));
const E2E = Number(process.env.BENCH_E2E ?? sized(2_000, 500));
const CONNECTIONS = 48;

interface Phase {
  requests: number;
  seconds: number;
  ok: number;
  errors: number;
  p50: number;
  p99: number;
  cpu: number;
  busy: number;
}

/** One load over all of a target's relays at once (the connections split between them). */
async function load(t: Target, prefix: string, count: number): Promise<Phase> {
  const share = Math.ceil(count / t.urls.length);
  const connections = Math.ceil(CONNECTIONS / t.urls.length);
  const cpuBefore = await targetCpu(t);
  const machineBefore = await machineCpu();
  const runs: LoadResult[] = await Promise.all(
    t.urls.map((url, i) => runLoad(t.label, url, preSign(share + connections * 2, `${prefix}${i}`), connections)),
  );
  const machine = await machineCpu();
  const requests = runs.reduce((n, r) => n + r.requests, 0);
  return {
    requests,
    seconds: Math.max(...runs.map((r) => r.requests / r.rps)),
    ok: runs.reduce((n, r) => n + r.ok, 0),
    errors: runs.reduce((n, r) => n + r.errors, 0),
    p50: Math.max(...runs.map((r) => r.p50)),
    p99: Math.max(...runs.map((r) => r.p99)),
    cpu: (await targetCpu(t)) - cpuBefore,
    busy: (machine.busy - machineBefore.busy) / Math.max(1, machine.total - machineBefore.total),
  };
}

function tally(receiver: ChildProcess, prefix: string): Promise<{ distinct: number; receipts: number; last: number }> {
  return new Promise((resolve) => {
    const onMessage = (reply: { op?: string; prefix?: string; distinct: number; receipts: number; last: number }) => {
      if (reply.op !== 'tally' || reply.prefix !== prefix) return;
      receiver.off('message', onMessage);
      resolve(reply);
    };
    receiver.on('message', onMessage);
    receiver.send({ op: 'tally', prefix });
  });
}

/** Signed webhooks in at full rate; the clock stops at the last acknowledged event's receipt (≤ 2 min). */
async function endToEnd(t: Target, receiver: ChildProcess, receiverUrl: string) {
  await createEndpoint(t, `${receiverUrl}/hook`);
  const prefix = `e2e${t.label.replaceAll(/[^a-z0-9]/gi, '')}`;
  const started = Date.now();
  const cpuBefore = await relayCpu(t);
  const ingest = await load(t, prefix, E2E);
  const expected = ingest.ok;
  const prefixes = t.urls.map((_, i) => `evt_${prefix}${i}`);
  const counted = async () => {
    const parts = await Promise.all(prefixes.map((p) => tally(receiver, p)));
    const sum = (key: 'distinct' | 'receipts') => parts.reduce((n, part) => n + part[key], 0);
    return { distinct: sum('distinct'), receipts: sum('receipts'), last: Math.max(...parts.map((part) => part.last)) };
  };
  let now = await counted();
  for (let polls = 0; polls < 1200 && now.distinct < expected; polls++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    now = await counted();
  }
  const seconds = (now.last - started) / 1000;
  // Per relay: with several, the one leading the delivery fan-out sends the deliveries.
  const perRelay = (await relayCpu(t)).map((cpu, i) => cpu - cpuBefore[i]);
  const cpuMicros = (perRelay.reduce((a, b) => a + b, 0) / now.distinct) * 1e6;
  return {
    expected,
    delivered: now.distinct,
    repeats: now.receipts - now.distinct,
    seconds,
    perSecond: now.distinct / seconds,
    cpuMicros,
    perRelay,
    ingest,
  };
}

if (!process.env.DATABASE_URL) {
  console.log('bench:scale needs PostgreSQL: export DATABASE_URL=... (bash .ci/postgres starts one and prints it); skipped');
  process.exit(0);
}
console.log(
  `${cpus().length} cpus, ${cpus()[0]?.model}, Node ${process.version}, load average ${loadavg()[0].toFixed(1)}; ` +
    `${ROUNDS} ingest rounds of ${PER_ROUND} per target, ${CONNECTIONS} connections; end to end ${E2E} events`,
);
const receiver = fork(new URL('./lib/scale-receiver.ts', import.meta.url));
const [{ port }] = (await once(receiver, 'message')) as [{ port: number }];
const receiverUrl = `http://127.0.0.1:${port}`;
const targets: Target[] = [];
try {
  targets.push(await baselineTarget());
  targets.push(await relayTarget('lowdb, 1 relay', 'lowdb', 1));
  targets.push(await relayTarget('postgres, 1 relay', 'postgres', 1));
  targets.push(await relayTarget('postgres, 3 relays', 'postgres', 3));
  for (const t of targets) await load(t, `warm${t.label.replaceAll(/[^a-z0-9]/gi, '')}`, 500);
  const phases = new Map<Target, Phase[]>(targets.map((t) => [t, []]));
  const ingestQueries = new Map<Target, QueryTally>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const t of targets) {
      const { value, queries } = await counting(t, () => load(t, `r${round}${t.label.replaceAll(/[^a-z0-9]/gi, '')}`, PER_ROUND));
      phases.get(t)?.push(value);
      if (queries) ingestQueries.set(t, addTally(ingestQueries.get(t), queries, value.ok));
    }
  }
  const ingest = new Map(targets.map((t) => [t, summarise(phases.get(t) ?? [])]));
  const e2e = new Map<Target, Awaited<ReturnType<typeof endToEnd>>>();
  const e2eQueries = new Map<Target, QueryTally>();
  for (const t of targets.filter((x) => x.relay)) {
    const { value, queries } = await counting(t, () => endToEnd(t, receiver, receiverUrl));
    e2e.set(t, value);
    if (queries) e2eQueries.set(t, addTally(undefined, queries, value.delivered));
  }
  report(targets, ingest, e2e);
  reportQueries(ingestQueries, e2eQueries);
} finally {
  for (const t of targets) await t.stop();
  receiver.send({ op: 'exit' });
}

/** Statements a PostgreSQL target sent during a phase, the server CPU they cost, and the events of the phase. */
interface QueryTally {
  events: number;
  byStatement: Record<string, number>;
  serverCpu: number;
  allServerCpu: number;
}

interface PhaseQueries {
  counts: Record<string, number>;
  /** CPU seconds of the server processes serving the relays' connections (a connection closed meanwhile is missed). */
  serverCpu: number;
  /** CPU seconds of every PostgreSQL process on the machine (one ended meanwhile is missed, one started meanwhile counted whole). */
  allServerCpu: number;
}

/** Runs a phase; on PostgreSQL also counts the statements the relays sent meanwhile (background work included). */
async function counting<T>(t: Target, phase: () => Promise<T>): Promise<{ value: T; queries?: PhaseQueries }> {
  if (!t.queries) return { value: await phase() };
  const before = await t.queries();
  const allBefore = await postgresProcessesCpu();
  const value = await phase();
  const allAfter = await postgresProcessesCpu();
  const after = await t.queries();
  const counts: Record<string, number> = {};
  for (const [key, n] of Object.entries(after.counts))
    if (n > (before.counts[key] ?? 0)) counts[key] = n - (before.counts[key] ?? 0);
  let serverCpu = 0;
  for (const [backend, seconds] of Object.entries(after.serverCpu)) serverCpu += seconds - (before.serverCpu[backend] ?? 0);
  let allServerCpu = 0;
  for (const [pid, seconds] of Object.entries(allAfter)) allServerCpu += seconds - (allBefore[pid] ?? 0);
  return { value, queries: { counts, serverCpu, allServerCpu } };
}

function addTally(tally: QueryTally | undefined, queries: PhaseQueries, events: number): QueryTally {
  const byStatement = { ...(tally?.byStatement ?? {}) };
  for (const [key, n] of Object.entries(queries.counts)) byStatement[key] = (byStatement[key] ?? 0) + n;
  return {
    events: (tally?.events ?? 0) + events,
    byStatement,
    serverCpu: (tally?.serverCpu ?? 0) + queries.serverCpu,
    allServerCpu: (tally?.allServerCpu ?? 0) + queries.allServerCpu,
  };
}

function total(tally: QueryTally): number {
  return Object.values(tally.byStatement).reduce((a, b) => a + b, 0);
}

function reportQueries(ingest: Map<Target, QueryTally>, e2e: Map<Target, QueryTally>) {
  console.log("PostgreSQL statements per event (counted in each relay's pg client; background work included):");
  for (const [phase, tallies] of [
    ['ingest', ingest],
    ['end to end', e2e],
  ] as const) {
    for (const [t, tally] of tallies) {
      console.log(
        `  ${phase}, ${t.label}: ${(total(tally) / tally.events).toFixed(2)} per event (${total(tally)} for ${tally.events} events); ` +
          `PostgreSQL server CPU ${((tally.serverCpu / tally.events) * 1e6).toFixed(0)} µs/event (the relays' connections), ` +
          `${((tally.allServerCpu / tally.events) * 1e6).toFixed(0)} µs/event (every PostgreSQL process on the machine, other work included)`,
      );
      const top = Object.entries(tally.byStatement).sort((a, b) => b[1] - a[1]);
      for (const [key, n] of top.slice(0, 8)) console.log(`    ${(n / tally.events).toFixed(3).padStart(7)}  ${key}`);
    }
  }
  const bench = 'scale';
  for (const [t, tally] of e2e) {
    reportGoal({
      bench,
      metric: `PostgreSQL statements per event end to end, ${t.label}`,
      unit: 'queries',
      relay: total(tally) / tally.events,
    });
  }
}

function summarise(all: Phase[]) {
  const requests = all.reduce((n, p) => n + p.requests, 0);
  const seconds = all.reduce((n, p) => n + p.seconds, 0);
  return {
    rps: requests / seconds,
    p50: Math.max(...all.map((p) => p.p50)),
    p99: Math.max(...all.map((p) => p.p99)),
    errors: all.reduce((n, p) => n + p.errors, 0),
    cpuMicros: (all.reduce((n, p) => n + p.cpu, 0) / requests) * 1e6,
    busy: all.reduce((n, p) => n + p.busy, 0) / all.length,
  };
}

function report(
  targets: Target[],
  ingest: Map<Target, ReturnType<typeof summarise>>,
  e2e: Map<Target, Awaited<ReturnType<typeof endToEnd>>>,
) {
  console.log('\ningest (signed webhook → 200 after the durable write):');
  for (const t of targets) {
    const s = ingest.get(t);
    if (!s) continue;
    console.log(
      `  ${t.label.padEnd(24)} ${s.rps.toFixed(0).padStart(6)} req/s  p50 ${s.p50} ms  p99 ${s.p99} ms (worst round)  errors ${s.errors}  ` +
        `server CPU ${s.cpuMicros.toFixed(0)} µs/request  machine busy ${(s.busy * 100).toFixed(0)}%`,
    );
  }
  console.log('end to end (signed webhook in → signed delivery received):');
  for (const [t, r] of e2e) {
    console.log(
      `  ${t.label.padEnd(24)} ${r.perSecond.toFixed(0).padStart(6)} events/s  ${r.delivered}/${r.expected} delivered in ${r.seconds.toFixed(1)} s  ` +
        `repeats ${r.repeats}  relay CPU ${r.cpuMicros.toFixed(0)} µs/event` +
        (r.perRelay.length > 1 ? ` (per relay ${r.perRelay.map((c) => `${c.toFixed(1)} s`).join(' / ')})` : '') +
        `  (ingest meanwhile ${(r.ingest.requests / r.ingest.seconds).toFixed(0)} req/s, machine busy ${(r.ingest.busy * 100).toFixed(0)}%)`,
    );
  }
  const [base, lowdb, pg1, pg3] = targets;
  const rate = (t: Target) => ingest.get(t)?.rps ?? Number.NaN;
  const e2eRate = (t: Target) => e2e.get(t)?.perSecond ?? Number.NaN;
  console.log(
    `ratios, ingest: lowdb / baseline ${(rate(lowdb) / rate(base)).toFixed(2)}, postgres 1 / baseline ${(rate(pg1) / rate(base)).toFixed(2)}, ` +
      `postgres 1 / lowdb ${(rate(pg1) / rate(lowdb)).toFixed(2)}, postgres 3 / postgres 1 ${(rate(pg3) / rate(pg1)).toFixed(2)}`,
  );
  console.log(
    `ratios, end to end: postgres 1 / lowdb ${(e2eRate(pg1) / e2eRate(lowdb)).toFixed(2)}, postgres 3 / postgres 1 ${(e2eRate(pg3) / e2eRate(pg1)).toFixed(2)}`,
  );
  const bench = 'scale';
  reportGoal({ bench, metric: 'PostgreSQL ingest rate vs bare Express', unit: 'req/s', relay: rate(pg1), baseline: rate(base) });
  reportGoal({
    bench,
    metric: 'PostgreSQL end to end vs file store',
    unit: 'events/s',
    relay: e2eRate(pg1),
    baseline: e2eRate(lowdb),
    goal: { op: '>=', value: 0.8 },
  });
  reportGoal({
    bench,
    metric: 'PostgreSQL 3 relays vs 1, end to end',
    unit: 'events/s',
    relay: e2eRate(pg3),
    baseline: e2eRate(pg1),
    goal: { op: '>=', value: 0.9 },
  });
  const lost = [...e2e.values()].reduce((n, r) => n + (r.expected - r.delivered), 0);
  const errors = [...ingest.values()].reduce((n, s) => n + s.errors, 0);
  console.log(`errors ${errors}; acknowledged but not delivered ${lost}`);
  if (errors || lost) process.exitCode = 1;
}
