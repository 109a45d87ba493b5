// npm run bench:workflow: signed webhook → relay (child process, file store) → workflow with one
// http.request POST → local receiver. Reports sustained events/s end to end, p50/p99 ingest→receipt at
// half that rate (a paced sender, once the relay is idle again after the full-load phase), and a
// bare-Express ingest baseline in the same run; then the `foreach` case (bench/workflow-foreach.ts).
// BENCH_FOREACH_ONLY=1 runs that case alone. Not a test.
import { spawn } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { spawnRelay } from '../test/helpers/child-relay.ts';
import { foreachCase } from './workflow-foreach.ts';
import { sized } from './lib/quick.ts';
import { report as reportGoal } from './lib/summary.ts';

const SECRET = `whsec_${randomBytes(24).toString('base64')}`;
const KEY = Buffer.from(SECRET.slice(6), 'base64');
const SECONDS = Number(process.env.BENCH_SECONDS ?? sized(8, 2));
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 128);

const WORKFLOW = `name: bench
on: { source: bench, type: bench.event }
steps:
  - id: post
    uses: http.request
    with: { method: POST, url: "{{ env.BENCH_RECEIVER }}", json: "{{ event.payload }}" }
`;

/** Receipts: when each event reached the receiver (performance.now(), same process as the sender). */
function startReceiver() {
  const latencies: number[] = [];
  /** When each received event was sent (same order as latencies). */
  const sentAt: number[] = [];
  let count = 0;
  let last = 0;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      const now = performance.now();
      count++;
      last = now;
      const sent = (JSON.parse(body) as { sent: number }).sent;
      latencies.push(now - sent);
      sentAt.push(sent);
      res.end('{}');
    });
  });
  return new Promise<{
    url: string;
    stats: () => { count: number; last: number; latencies: number[]; sentAt: number[] };
    reset(): void;
    close(): void;
  }>((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
        stats: () => ({ count, last, latencies, sentAt }),
        reset() {
          count = 0;
          latencies.length = 0;
          sentAt.length = 0;
        },
        close: () => server.close(),
      }),
    ),
  );
}

let sequence = 0;

function signed(): { body: string; headers: Record<string, string> } {
  const body = JSON.stringify({ type: 'bench.event', n: ++sequence, sent: performance.now() });
  const id = `msg_${sequence}_${process.pid}`;
  const ts = String(Math.floor(Date.now() / 1000));
  const sig = createHmac('sha256', KEY).update(`${id}.${ts}.${body}`).digest('base64');
  return {
    body,
    headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': ts, 'webhook-signature': `v1,${sig}` },
  };
}

/**
 * Sends at a fixed rate, stamping each event just before it is written (autocannon's overallRate
 * builds requests ahead of sending them, which would count its own queueing as latency).
 */
async function paced(url: string, rate: number, seconds: number): Promise<{ sent: number; failed: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const target = new URL('/hooks/bench', url);
  const total = Math.floor(rate * seconds);
  let sent = 0;
  let failed = 0;
  let done = 0;
  const started = performance.now();
  await new Promise<void>((resolve) => {
    const finish = () => {
      done++;
      if (done === total) resolve();
    };
    const tick = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate));
      while (sent < due) {
        const { body, headers } = signed();
        sent++;
        const req = request(target, { method: 'POST', headers, agent }, (res) => {
          if (res.statusCode !== 200) failed++;
          res.resume();
          res.on('end', finish);
        });
        req.on('error', () => {
          failed++;
          finish();
        });
        req.end(body);
      }
      if (sent >= total) clearInterval(tick);
    }, 5);
  });
  agent.destroy();
  return { sent, failed };
}

function signedRequest() {
  return {
    method: 'POST' as const,
    path: '/hooks/bench',
    setupRequest(req: { body?: string; headers?: Record<string, string> }) {
      Object.assign(req, signed());
      return req;
    },
  };
}

async function load(url: string, options: { seconds: number }) {
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: options.seconds,
    requests: [signedRequest()],
  });
  return { requests: result.requests.total, non2xx: result.non2xx, errors: result.errors, rps: result.requests.average };
}

/** Bare Express ingest; with `forwardTo`, the bare Node forwarder (ingest, 200, then a fetch POST). */
async function startBaseline(forwardTo?: string): Promise<{ url: string; stop(): void }> {
  const script = fileURLToPath(new URL('./baseline-express.ts', import.meta.url));
  const child = spawn(process.execPath, [script], {
    env: { ...process.env, BENCH_SECRET: SECRET, ...(forwardTo ? { BENCH_FORWARD_TO: forwardTo } : {}) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve) => {
    createInterface({ input: child.stdout }).on('line', (line) => resolve((JSON.parse(line) as { port: number }).port));
  });
  return { url: `http://127.0.0.1:${port}`, stop: () => child.kill('SIGTERM') };
}

async function drained(
  receiver: Awaited<ReturnType<typeof startReceiver>>,
  expected: number,
  timeoutMs = 30_000,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (receiver.stats().count < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  return receiver.stats().count >= expected;
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? Number.NaN;

/** The same relay and source with no workflow: how much of the cost is ingest (verify + fsync). */
async function relayIngestOnly(): Promise<number> {
  const dataDir = await mkdtemp(join(tmpdir(), 'hookrelay-bench-ingest-'));
  const relay = await spawnRelay({
    dataDir,
    configYaml: ['sources:', '  - name: bench', `    verify: { scheme: standard-webhooks, secrets: ["${SECRET}"] }`].join('\n'),
    env: { HOOKRELAY_LOG_LEVEL: 'info' },
  });
  try {
    return (await load(relay.url, { seconds: SECONDS })).rps;
  } finally {
    relay.child.kill('SIGTERM');
    await relay.exited;
    await rm(dataDir, { recursive: true, force: true });
  }
}

const progress = (msg: string) => process.stderr.write(`${msg}\n`);

async function main(): Promise<Record<string, unknown>> {
  progress('baseline: bare Express ingest');
  const baseline = await startBaseline();
  const bare = await load(baseline.url, { seconds: SECONDS });
  baseline.stop();

  progress('relay without workflows: ingest alone (same store, signatures verified)');
  const ingestOnly = await relayIngestOnly();

  progress('relay: starting a child relay with the bench workflow');
  const receiver = await startReceiver();
  const dataDir = await mkdtemp(join(tmpdir(), 'hookrelay-bench-workflow-'));
  await mkdir(join(dataDir, 'workflows'));
  await writeFile(join(dataDir, 'workflows', 'bench.yaml'), WORKFLOW);
  const relay = await spawnRelay({
    dataDir,
    configYaml: [
      'sources:',
      '  - name: bench',
      `    verify: { scheme: standard-webhooks, secrets: ["${SECRET}"] }`,
      'workflows:',
      '  dir: ./workflows',
      '  env: [BENCH_RECEIVER]',
      '  watch: false',
      ...(process.env.BENCH_KEEP_RUNS ? [`  keepRuns: ${process.env.BENCH_KEEP_RUNS}`] : []),
    ].join('\n'),
    env: {
      BENCH_RECEIVER: receiver.url,
      HOOKRELAY_LOG_LEVEL: 'info',
      // e.g. `--cpu-prof --cpu-prof-dir=DIR` to profile the relay alone
      ...(process.env.BENCH_RELAY_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_RELAY_NODE_OPTIONS } : {}),
    },
    // e.g. `--heap-growing-percent=0 --max-semi-space-size=0` for V8's own heap sizing
    nodeArgs: process.env.BENCH_RELAY_NODE_ARGS?.split(' ').filter(Boolean),
  });
  try {
    await load(relay.url, { seconds: 2 }); // warm-up
    await drained(receiver, sequence);
    progress('relay: full load');
    receiver.reset();
    const started = performance.now();
    const cpuBefore = await cpuSeconds(relay.child.pid);
    const full = await load(relay.url, { seconds: SECONDS });
    const complete = await drained(receiver, full.requests - full.non2xx);
    const fullStats = receiver.stats();
    const relayCpu = (await cpuSeconds(relay.child.pid)) - cpuBefore;
    const sustained = (fullStats.count / (fullStats.last - started)) * 1000;

    // Work the burst left behind (pruning the runs it finished, compacting their table, collecting
    // its garbage) is done before the half-rate phase, which measures a relay running at that rate.
    const settleMs = await settled(relay.child.pid);
    progress(`relay: ${Math.round(sustained)} events/s end to end; idle after ${settleMs} ms; now at half that rate`);
    receiver.reset();
    const halfRate = Math.max(1, Math.floor(sustained / 2));
    const cpuBeforeHalf = await cpuSeconds(relay.child.pid);
    const half = await paced(relay.url, halfRate, SECONDS);
    await drained(receiver, half.sent - half.failed);
    const halfCpu = (await cpuSeconds(relay.child.pid)) - cpuBeforeHalf;
    const sorted = [...receiver.stats().latencies].sort((a, b) => a - b);
    const halfStarted = Math.min(...receiver.stats().sentAt);
    const halfStats = { ...receiver.stats(), latencies: [...receiver.stats().latencies], sentAt: [...receiver.stats().sentAt] };
    const forwarder = await forwarderPhase(receiver, halfRate);
    const report = {
      machine: {
        cores: (await import('node:os')).cpus().length,
        cpu: (await import('node:os')).cpus()[0]?.model,
        node: process.version,
      },
      baseline_express_ingest_rps: Math.round(bare.rps),
      relay_ingest_only_rps: Math.round(ingestOnly),
      relay_ingest_rps_at_full_load: Math.round(full.rps),
      end_to_end_events_per_s: Math.round(sustained),
      // Load-independent: the relay process's own CPU (user + system) per event delivered at full load.
      relay_cpu_us_per_event: Math.round((relayCpu / fullStats.count) * 1e6),
      relay_events_per_cpu_second: Math.round(fullStats.count / relayCpu),
      load_average: (await import('node:os')).loadavg().map((l) => Number(l.toFixed(1))),
      all_delivered: complete,
      non2xx: full.non2xx + half.failed,
      // How long the relay stayed busy after the last full-load event arrived (see settled()).
      settle_ms_after_full_load: settleMs,
      half_rate: halfRate,
      half_rate_p50_ms: Number(percentile(sorted, 0.5).toFixed(1)),
      half_rate_p99_ms: Number(percentile(sorted, 0.99).toFixed(1)),
      half_rate_p999_ms: Number(percentile(sorted, 0.999).toFixed(1)),
      // At a moderate rate fewer writes share a group commit, so this is higher than at full load.
      // Where in the phase the tail is: p99 of the events sent in each second of it.
      half_rate_p99_ms_by_second: bySecond(halfStats, halfStarted),
      // The first second also opens the paced sender's connections and follows the full-load phase.
      half_rate_p99_ms_after_first_second: Number(afterFirstSecond(halfStats, halfStarted).toFixed(1)),
      half_rate_relay_cpu_us_per_event: Math.round((halfCpu / halfStats.count) * 1e6),
      bare_forwarder_events_per_s: Math.round(forwarder.sustained),
      bare_forwarder_all_delivered: forwarder.complete,
      bare_forwarder_half_rate_p50_ms: Number(forwarder.p50.toFixed(1)),
      bare_forwarder_half_rate_p99_ms: Number(forwarder.p99.toFixed(1)),
      ratio_end_to_end_vs_baseline: Number((sustained / bare.rps).toFixed(2)),
      ratio_end_to_end_vs_relay_ingest_only: Number((sustained / ingestOnly).toFixed(2)),
    };
    reportGoal({
      bench: 'workflow',
      metric: 'end to end vs bare Node forwarder',
      unit: 'events/s',
      relay: sustained,
      baseline: forwarder.sustained,
      goal: { op: '>=', value: 0.9 },
    });
    reportGoal({
      bench: 'workflow',
      metric: `p99 at ${halfRate}/s vs bare Node forwarder`,
      unit: 'ms',
      relay: report.half_rate_p99_ms,
      baseline: forwarder.p99,
      goal: { op: '<=', value: 2 },
    });
    if (process.env.BENCH_RELAY_LOG) await writeFile(process.env.BENCH_RELAY_LOG, relay.output());
    return report;
  } finally {
    relay.child.kill('SIGTERM');
    await relay.exited;
    receiver.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/**
 * The bare Node forwarder (bench/baseline-express.ts with BENCH_FORWARD_TO) under the relay's two
 * phases: full load for its sustained rate end to end, then paced at the relay's half rate for p99.
 */
async function forwarderPhase(receiver: Awaited<ReturnType<typeof startReceiver>>, halfRate: number) {
  progress(`baseline: bare Node forwarder, full load then ${halfRate}/s`);
  const forwarder = await startBaseline(receiver.url);
  try {
    await load(forwarder.url, { seconds: 1 }); // warm-up
    await new Promise((r) => setTimeout(r, 500));
    receiver.reset();
    const started = performance.now();
    const full = await load(forwarder.url, { seconds: SECONDS });
    const complete = await drained(receiver, full.requests - full.non2xx);
    const sustained = (receiver.stats().count / (receiver.stats().last - started)) * 1000;
    receiver.reset();
    const half = await paced(forwarder.url, halfRate, SECONDS);
    await drained(receiver, half.sent - half.failed);
    const sorted = [...receiver.stats().latencies].sort((a, b) => a - b);
    return { sustained, complete, p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99) };
  } finally {
    forwarder.stop();
  }
}

function afterFirstSecond(stats: { latencies: number[]; sentAt: number[] }, started: number): number {
  const later = stats.latencies.filter((_, i) => stats.sentAt[i] - started >= 1000);
  return percentile(
    later.sort((a, b) => a - b),
    0.99,
  );
}

function bySecond(stats: { latencies: number[]; sentAt: number[] }, started: number): number[] {
  const seconds: number[][] = [];
  stats.sentAt.forEach((sent, i) => {
    const second = Math.floor((sent - started) / 1000);
    seconds[second] ??= [];
    seconds[second].push(stats.latencies[i]);
  });
  return [...seconds].map((l) =>
    Math.round(
      percentile(
        (l ?? []).sort((a, b) => a - b),
        0.99,
      ),
    ),
  );
}

/**
 * Waits until the relay's CPU use falls under a tenth of a core for a quarter of a second (at most 20
 * s) and says how long that took.
 */
async function settled(pid: number | undefined): Promise<number> {
  const started = performance.now();
  let before = await cpuSeconds(pid);
  while (performance.now() - started < 20_000) {
    await new Promise((r) => setTimeout(r, 250));
    const now = await cpuSeconds(pid);
    if (now - before < 0.025) break;
    before = now;
  }
  return Math.round(performance.now() - started);
}

/** User + system CPU seconds of a process so far (Linux /proc; clock ticks are 100 per second there). */
async function cpuSeconds(pid: number | undefined): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const report = process.env.BENCH_FOREACH_ONLY ? {} : await main();
console.log(JSON.stringify({ ...report, ...(await foreachCase(progress)) }, null, 2));
