// npm run bench:fanout: send-to-subscriber latency with 500 Socket.IO and 100 SSE subscribers while
// signed webhooks arrive at 100 events/s for 30 s, against the relay (`hookrelay start`, file store,
// durable write before the 200) and, in the same run with the same clients and webhooks, against a bare
// Express + Socket.IO + SSE pipeline (bench/fanout-bare.ts: POST → 200 → broadcast). Each server runs in
// its own process, the subscribers in FANOUT_CLIENT_PROCESSES more; a third phase runs the relay on the
// memory store, to tell the durable write from the fan-out itself; between them the file store's appender
// alone writes at the same rate on the same disk (bench/lib/write-floor.ts), the least the durable write
// can add at that moment. Prints p50/p99 and lost events for
// both and the ratios against issue 21's goals. 127.0.0.1 only; bounded in count and time.
//
// Other runs: FANOUT_SECONDS, FANOUT_RATE, FANOUT_SOCKETIO, FANOUT_SSE, FANOUT_CLIENT_PROCESSES,
// FANOUT_STORE=memory, FANOUT_MEMORY=0 (skips the third phase, the relay on the memory store),
// FANOUT_ORDER=relay-first (the relay's phase before the bare pipeline's);
// RELAY_NODE_ARGS / BARE_NODE_ARGS pass Node flags to the relay / the bare pipeline (`--cpu-prof
// --cpu-prof-dir=DIR` profiles it; NODE_OPTIONS refuses --cpu-prof); RELAY_NODE_OPTIONS sets the relay's NODE_OPTIONS; BENCH_QUICK=1 for a smoke run.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { type FanoutOptions, type PhaseResult, runFanout } from './lib/fanout-run.ts';
import { sized } from './lib/quick.ts';
import { report } from './lib/summary.ts';
import { writeFloor } from './lib/write-floor.ts';

const options: FanoutOptions = {
  seconds: Number(process.env.FANOUT_SECONDS ?? sized(30, 5)),
  rate: Number(process.env.FANOUT_RATE ?? 100),
  socketio: Number(process.env.FANOUT_SOCKETIO ?? sized(500, 100)),
  sse: Number(process.env.FANOUT_SSE ?? sized(100, 20)),
  clientProcesses: Number(process.env.FANOUT_CLIENT_PROCESSES ?? sized(4, 2)),
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  token: 'bench-admin-token',
  warmUpSeconds: sized(3, 1),
  catchUpMs: 15_000,
};
/** `lowdb` (the default file store, durable writes) or `memory` (to see fan-out without disk waits). */
const STORE = process.env.FANOUT_STORE ?? 'lowdb';
/** A third phase, the relay on the memory store: what of the gap is the durable write, what is fan-out. */
const MEMORY_PHASE = STORE !== 'memory' && process.env.FANOUT_MEMORY !== '0';
const BIN = fileURLToPath(new URL('../bin/hookrelay.js', import.meta.url));
const BARE = fileURLToPath(new URL('./fanout-bare.ts', import.meta.url));

/** Node flags for a server process from an environment variable (e.g. `--cpu-prof`, which NODE_OPTIONS refuses). */
const nodeArgs = (name: string) => (process.env[name] ?? '').split(' ').filter(Boolean);

interface Server {
  child: ChildProcess;
  url: string;
}

/** Starts a server process and waits for the stdout line that gives its address. */
async function started(child: ChildProcess, addressOf: (line: string) => string | undefined): Promise<Server> {
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      const found = addressOf(line);
      if (found) resolve(found);
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  return { child, url };
}

async function startRelay(dataDir: string, store = STORE): Promise<Server> {
  const config = join(dataDir, 'hookrelay.yaml');
  await writeFile(
    config,
    `store: { driver: ${store} }\nsources:\n  - name: bench\n    verify: { scheme: standard-webhooks, secrets: ["${options.secret}"] }\n`,
  );
  const child = spawn(
    process.execPath,
    [...nodeArgs('RELAY_NODE_ARGS'), BIN, 'start', '--config', config, '--port', '0', '--data-dir', dataDir],
    {
      env: {
        ...process.env,
        HOOKRELAY_ADMIN_TOKEN: options.token,
        HOOKRELAY_LOG_LEVEL: 'info',
        NODE_OPTIONS: process.env.RELAY_NODE_OPTIONS ?? '',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  return started(child, (line) =>
    line.includes('hookrelay is listening') ? (JSON.parse(line) as { url: string }).url : undefined,
  );
}

function startBare(): Promise<Server> {
  const child = spawn(process.execPath, [...nodeArgs('BARE_NODE_ARGS'), BARE], {
    env: { ...process.env, BENCH_SECRET: options.secret, NODE_OPTIONS: '' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return started(child, (line) => `http://127.0.0.1:${(JSON.parse(line) as { port: number }).port}`);
}

async function stop(server: Server): Promise<void> {
  if (server.child.exitCode !== null) return;
  const exited = once(server.child, 'exit');
  server.child.kill('SIGTERM');
  await exited;
}

async function phase(label: string, start: () => Promise<Server>, seconds = options.seconds): Promise<PhaseResult> {
  process.stderr.write(
    `${label}: ${options.socketio} Socket.IO + ${options.sse} SSE subscribers, ${options.rate}/s for ${seconds} s\n`,
  );
  const server = await start();
  try {
    return await runFanout(server.url, server.child.pid as number, { ...options, seconds });
  } finally {
    await stop(server);
  }
}

const fmt = (n: number) => n.toFixed(1);

function print(label: string, r: PhaseResult): void {
  console.log(
    `${label}: ${r.accepted} accepted, ${r.failed} failed; 200 answer p50 ${fmt(r.answerP50)} ms, p99 ${fmt(r.answerP99)} ms; ` +
      `server CPU ${(r.serverCpu * 100).toFixed(0)} % of one core, client processes ${(r.clientCpu * 100).toFixed(0)} % (busiest ${(r.busiestClientCpu * 100).toFixed(0)} %), server RSS max ${fmt(r.rssMaxMiB)} MiB`,
  );
  for (const [kind, k] of Object.entries(r.kinds)) {
    console.log(
      `  ${kind.padEnd(8)} ${k.clients} clients, ${k.dropped} dropped, ${k.lost} lost, delivered ${k.deliveredMin}–${k.deliveredMax}, ` +
        `${k.outOfOrder} out of order; send→client p50 ${fmt(k.p50)} ms, p99 ${fmt(k.p99)} ms, max ${fmt(k.max)} ms; ` +
        `received_at→client p50 / p99 ${fmt(k.fanOutP50)} / ${fmt(k.fanOutP99)} ms`,
    );
  }
}

const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
console.log(
  `machine: ${cpus().length} cores, ${cpus()[0]?.model}, Node ${process.version}; relay store: ${STORE}; ` +
    `${options.clientProcesses} client processes; load average at start ${load()}`,
);
const dataDir = await mkdtemp(join(tmpdir(), 'hookrelay-bench-'));
try {
  // The first phase of a run was at times measured much slower than the next (with either order: the
  // sender and client processes still warming up), so a short whole phase runs first and is not counted.
  await phase('warm-up, not measured', startBare, sized(5, 2));
  // FANOUT_ORDER=relay-first measures the relay before the bare pipeline: if a ratio moves with the
  // order, the phases were not measured alike.
  const bareFirst = process.env.FANOUT_ORDER !== 'relay-first';
  const bareBefore = bareFirst ? await phase('bare Express + Socket.IO + SSE', startBare) : null;
  const relay = await phase('relay', () => startRelay(dataDir));
  const bare = bareBefore ?? (await phase('bare Express + Socket.IO + SSE', startBare));
  const floorSeconds = sized(10, 3);
  if (STORE !== 'memory')
    process.stderr.write(`durable write alone: the store's appender, ${options.rate}/s for ${floorSeconds} s\n`);
  const floor = STORE === 'memory' ? null : await writeFloor(dataDir, options.rate, floorSeconds);
  const memory = MEMORY_PHASE ? await phase('relay, memory store', () => startRelay(dataDir, 'memory')) : null;
  print('bare', bare);
  print(`relay (${STORE} store)`, relay);
  if (memory) print('relay (memory store: no durable write)', memory);
  if (floor)
    console.log(
      `durable write alone (the store's appender, same disk, ${options.rate}/s): p50 ${fmt(floor.p50)} ms, p99 ${fmt(floor.p99)} ms`,
    );
  console.log(`load average at end ${load()}`);
  if (floor) {
    // The least the durable write adds, at this moment, to the relay's received_at→client time: an
    // event is published once it is on disk. Other work sharing the disk shows here first.
    report({
      bench: 'fanout',
      metric: "durable write alone p99 (the store's appender, same disk and rate)",
      unit: 'ms',
      relay: floor.p99,
    });
  }
  for (const kind of ['socketio', 'sse'] as const) {
    const label = kind === 'socketio' ? 'Socket.IO' : 'SSE';
    report({
      bench: 'fanout',
      metric: `${label} p99`,
      unit: 'ms',
      relay: relay.kinds[kind].p99,
      baseline: bare.kinds[kind].p99,
      goal: { op: '<=', value: 1.5 },
    });
    report({ bench: 'fanout', metric: `${label} p50`, unit: 'ms', relay: relay.kinds[kind].p50, baseline: bare.kinds[kind].p50 });
    // From the server's own arrival stamp: the pipeline alone, without the sender's or the POST's delays.
    report({
      bench: 'fanout',
      metric: `${label} received_at→client p99`,
      unit: 'ms',
      relay: relay.kinds[kind].fanOutP99,
      baseline: bare.kinds[kind].fanOutP99,
    });
    if (memory) {
      report({
        bench: 'fanout',
        metric: `${label} p99, relay on the memory store`,
        unit: 'ms',
        relay: memory.kinds[kind].p99,
        baseline: bare.kinds[kind].p99,
      });
    }
    report({
      bench: 'fanout',
      metric: `${label} lost events (relay)`,
      unit: 'events',
      relay: relay.kinds[kind].lost + relay.kinds[kind].dropped,
      goal: { op: '<=', value: 0 },
    });
  }
} finally {
  await rm(dataDir, { recursive: true, force: true });
}
