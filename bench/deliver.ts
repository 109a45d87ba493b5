// npm run bench:deliver: signed deliveries per second from stored events to local receivers, with every
// attempt persisted; the same with one dead endpoint among the ten (the other nine must not slow down
// by more than 10%); then p50/p99 from ingest to receipt at a steady live rate. Options: --events N (default 50000),
// --fanout all (every event to every endpoint; default: each endpoint follows one of ten sources), --profile DIR
// (a CPU profile of each drain, the relay's process alone during it: drain-healthy.cpuprofile, drain-dead.cpuprofile).
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULTS, type RelayConfig } from '../server/config/types.ts';
import { delivery } from '../server/delivery/subsystem.ts';
import { createRelay, type Relay } from '../server/main.ts';
import { createLogger } from '../server/ops/logger.ts';
import { defaultSubsystems } from '../server/subsystems.ts';
import { type LoopDelay, probePhase } from './lib/phase-profile.ts';
import { sized } from './lib/quick.ts';
import { report } from './lib/summary.ts';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: sized('50000', '5000') },
    fanout: { type: 'string', default: 'source' },
    profile: { type: 'string' },
  },
});
const EVENTS = Number(values.events);
const ENDPOINTS = 10;
const INGEST_CONCURRENCY = 256;

interface ReceiverStats {
  received: number;
  latencies: number[];
  first: number;
  last: number;
}

function ask<T>(child: ChildProcess, message: object, op: string): Promise<T> {
  return new Promise((resolve) => {
    const onMessage = (reply: { op?: string }) => {
      if (reply.op !== op) return;
      child.off('message', onMessage);
      resolve(reply as T);
    };
    child.on('message', onMessage);
    child.send(message);
  });
}

async function startRelay(dataDir: string, withDelivery = true): Promise<Relay> {
  const sources = Array.from({ length: ENDPOINTS }, (_, i) => ({
    name: `s${i}`,
    insecure: true,
    verify: { scheme: 'none' as const, secrets: [], toleranceSeconds: 300 },
  }));
  const config: RelayConfig = {
    file: null,
    port: 0,
    host: '127.0.0.1',
    dataDir,
    sources,
    store: { driver: 'lowdb', retention: { maxEvents: 1_000_000, maxAgeDays: 7 } },
    limits: {
      bodyBytes: DEFAULTS.bodyBytes,
      jsonBodyBytes: DEFAULTS.jsonBodyBytes,
      rejections: DEFAULTS.rejections,
      jsonDepth: DEFAULTS.jsonDepth,
    },
    sections: { delivery: { timeoutMs: 2000, concurrency: Number(process.env.BENCH_CONCURRENCY ?? 10) } },
  };
  const subsystems = withDelivery ? defaultSubsystems : defaultSubsystems.filter((s) => s !== delivery);
  const relay = await createRelay({ config, adminToken: 'bench', logger: createLogger({ level: 'silent' }), subsystems });
  await relay.start();
  return relay;
}

async function createEndpoints(relay: Relay, ports: number[]): Promise<void> {
  for (const [i, port] of ports.entries()) {
    const filter = values.fanout === 'all' ? {} : { sources: [`s${i}`] };
    const res = await fetch(`${relay.url}/v1/endpoints`, {
      method: 'POST',
      headers: { authorization: 'Bearer bench', 'content-type': 'application/json' },
      body: JSON.stringify({ url: `http://127.0.0.1:${port}/hook`, filter }),
    });
    if (res.status !== 201) throw new Error(`endpoint: ${await res.text()}`);
  }
}

/** Records events through the relay's ingest path (durable store, then the bus), INGEST_CONCURRENCY at a time. */
async function ingest(relay: Relay, count: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const payload = { type: 'bench.event', i, sent_at: Date.now(), data: 'x'.repeat(200) };
      const raw = Buffer.from(JSON.stringify(payload));
      await relay.ctx.eventService.record({
        source: `s${i % ENDPOINTS}`,
        type: 'bench.event',
        provider_id: null,
        headers: { 'content-type': 'application/json' },
        payload,
        verified: { scheme: 'none' },
        raw,
        content_type: 'application/json',
      });
    }
  };
  await Promise.all(Array.from({ length: INGEST_CONCURRENCY }, worker));
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

async function receiverStats(receivers: ChildProcess): Promise<ReceiverStats[]> {
  return (await ask<{ stats: ReceiverStats[] }>(receivers, { op: 'stats' }, 'stats')).stats;
}

/** Polls the receivers until `expected` deliveries reached the live ones (bounded to two minutes). */
async function waitForReceipts(receivers: ChildProcess, dead: number[], expected: number): Promise<ReceiverStats[]> {
  let live: ReceiverStats[] = [];
  for (let polls = 0; polls < 1200; polls++) {
    live = (await receiverStats(receivers)).filter((_, i) => !dead.includes(i));
    if (live.reduce((n, s) => n + s.received, 0) >= expected) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return live;
}

const expectedFor = (events: number, healthy: number) =>
  values.fanout === 'all' ? events * healthy : Math.ceil(events / ENDPOINTS) * healthy;

/** A new data folder holding the ten endpoints: each phase starts from the same state. */
async function freshDir(prefix: string, ports: number[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const setup = await startRelay(dir);
  await createEndpoints(setup, ports);
  await setup.stop();
  return dir;
}

/**
 * Drain: EVENTS are stored by a relay without its delivery part (so nothing is sent yet); the relay
 * then starts with delivery, fan-out recovery turns the stored events into deliveries, and the clock
 * runs from start to the last receipt. Every attempt is persisted as in normal operation. Each drain
 * has its own data folder, so the one with a dead endpoint does not also read the first one's events
 * and deliveries at start-up.
 */
async function drain(dataDir: string, receivers: ChildProcess, dead: number[], label: string) {
  const bare = await startRelay(dataDir, false);
  await ingest(bare, EVENTS);
  await bare.stop();
  await ask(receivers, { op: 'reset', dead }, 'reset');
  const probe = await probePhase(label, values.profile);
  const started = Date.now();
  const cpuBefore = process.cpuUsage();
  const relay = await startRelay(dataDir);
  const startup = (Date.now() - started) / 1000;
  const expected = expectedFor(EVENTS, ENDPOINTS - dead.length);
  const live = await waitForReceipts(receivers, dead, expected);
  const cpu = process.cpuUsage(cpuBefore);
  const loop = await probe.stop();
  const delivered = live.reduce((n, s) => n + s.received, 0);
  const seconds = (Math.max(...live.map((s) => s.last)) - started) / 1000;
  await relay.stop();
  // CPU seconds the relay process used: a machine-load-independent cost per delivery.
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  return {
    delivered,
    expected,
    seconds,
    startup,
    cpuSeconds,
    loop,
    perSecond: delivered / seconds,
    perEndpoint: delivered / seconds / live.length,
  };
}

/** Live: events recorded at a steady pace below capacity; latency from just before ingest to receipt. */
async function live(dataDir: string, receivers: ChildProcess, count: number, perSecond: number) {
  await ask(receivers, { op: 'reset', dead: [] }, 'reset');
  const relay = await startRelay(dataDir);
  const batch = Math.max(1, Math.round(perSecond / 20));
  const started = Date.now();
  for (let sent = 0; sent < count; sent += batch) {
    await ingest(relay, Math.min(batch, count - sent));
    const due = started + ((sent + batch) / perSecond) * 1000;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - Date.now())));
  }
  const stats = await waitForReceipts(receivers, [], expectedFor(count, ENDPOINTS));
  await relay.stop();
  const latencies = stats.flatMap((s) => s.latencies).sort((a, b) => a - b);
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), delivered: latencies.length };
}

function cpuLine(result: { cpuSeconds: number; delivered: number; startup: number; loop: LoopDelay }): string {
  const each = (result.cpuSeconds / result.delivered) * 1e6;
  const { loop } = result;
  return `  relay start-up (reading the event log, fan-out recovery; sending begins during it) ${result.startup.toFixed(1)} s; relay process CPU ${result.cpuSeconds.toFixed(1)} s = ${each.toFixed(0)} µs per delivery (${(result.delivered / result.cpuSeconds).toFixed(0)} deliveries per CPU-second); event-loop delay p50 ${loop.p50} ms, p99 ${loop.p99} ms, max ${loop.max} ms; load average ${loadavg()[0].toFixed(1)}`;
}

const receivers = fork(new URL('./deliver-receivers.ts', import.meta.url), [String(ENDPOINTS)]);
const [{ ports }] = (await once(receivers, 'message')) as [{ ports: number[] }];
try {
  const cpu = cpus()[0]?.model;
  console.log(
    `delivery bench: ${EVENTS} stored events, ${ENDPOINTS} endpoints (fan-out: ${values.fanout}), ${cpus().length} cpus, ${cpu}, Node ${process.version}, load average ${loadavg()
      .map((n) => n.toFixed(2))
      .join(' ')}`,
  );
  const healthyDir = await freshDir('hookrelay-bench-deliver-', ports);
  const all = await drain(healthyDir, receivers, [], 'drain-healthy').finally(() =>
    rm(healthyDir, { recursive: true, force: true }),
  );
  console.log(
    `drain, all healthy: ${all.delivered}/${all.expected} in ${all.seconds.toFixed(1)} s = ${all.perSecond.toFixed(0)} deliveries/s (${all.perEndpoint.toFixed(0)}/s per endpoint)`,
  );
  console.log(cpuLine(all));
  const deadDir = await freshDir('hookrelay-bench-deliver-', ports);
  const withDead = await drain(deadDir, receivers, [0], 'drain-dead').finally(() =>
    rm(deadDir, { recursive: true, force: true }),
  );
  console.log(
    `drain, one dead:    ${withDead.delivered}/${withDead.expected} to the nine in ${withDead.seconds.toFixed(1)} s = ${withDead.perSecond.toFixed(0)} deliveries/s (${withDead.perEndpoint.toFixed(0)}/s per endpoint)`,
  );
  console.log(cpuLine(withDead));
  const ratio = withDead.perEndpoint / all.perEndpoint;
  const cpuRatio = withDead.delivered / withDead.cpuSeconds / (all.delivered / all.cpuSeconds);
  console.log(
    `per healthy endpoint with a dead one: wall-clock ratio ${ratio.toFixed(2)}, per relay CPU-second ratio ${cpuRatio.toFixed(2)} (bar >= 0.90: ${Math.min(ratio, cpuRatio) >= 0.9 ? 'met' : 'NOT met'})`,
  );
  console.log(`bar >= 3000 deliveries/s: ${all.perSecond >= 3000 ? 'met' : 'NOT met'}`);
  report({
    bench: 'deliver',
    metric: 'deliveries/s, all healthy',
    unit: '/s',
    relay: all.perSecond,
    goal: { op: '>=', value: 3000 },
  });
  report({
    bench: 'deliver',
    metric: 'per healthy endpoint, one dead vs none (worse of wall clock and CPU)',
    unit: '/s',
    relay: Math.min(ratio, cpuRatio) * all.perEndpoint,
    baseline: all.perEndpoint,
    goal: { op: '>=', value: 0.9 },
  });
  const liveDir = await freshDir('hookrelay-bench-live-', ports);
  const latency = await live(liveDir, receivers, sized(10_000, 2_000), 1000).finally(() =>
    rm(liveDir, { recursive: true, force: true }),
  );
  console.log(
    `live at 1000 events/s: ${latency.delivered} delivered, ingest-to-receipt p50 ${latency.p50} ms, p99 ${latency.p99} ms`,
  );
} finally {
  receivers.send({ op: 'exit' });
}
