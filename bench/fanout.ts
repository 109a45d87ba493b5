// npm run bench:fanout: ingest-to-subscriber latency with 500 Socket.IO and 100 SSE subscribers
// (in a child process) while signed webhooks arrive at 100 events/s for 30 s. The relay runs as
// `hookrelay start` in its own process so its RSS can be sampled alone. 127.0.0.1 only.
//
// Other runs: FANOUT_SECONDS, FANOUT_RATE, FANOUT_SOCKETIO, FANOUT_SSE, FANOUT_STORE=memory;
// RELAY_NODE_OPTIONS=--cpu-prof profiles the relay.
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { signHeaders } from '../server/ingest/signers.ts';

const SECONDS = Number(process.env.FANOUT_SECONDS ?? 30);
const RATE = Number(process.env.FANOUT_RATE ?? 100);
const SOCKETIO = Number(process.env.FANOUT_SOCKETIO ?? 500);
const SSE = Number(process.env.FANOUT_SSE ?? 100);
/** `lowdb` (the default file store, durable writes) or `memory` (to see fan-out without disk waits). */
const STORE = process.env.FANOUT_STORE ?? 'lowdb';
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const TOKEN = 'bench-admin-token';
const BIN = fileURLToPath(new URL('../bin/hookrelay.js', import.meta.url));
const CLIENTS = fileURLToPath(new URL('./fanout-clients.ts', import.meta.url));
const now = () => performance.timeOrigin + performance.now();

async function startRelay(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const config = join(dataDir, 'hookrelay.yaml');
  await writeFile(
    config,
    `store: { driver: ${STORE} }\nsources:\n  - name: bench\n    verify: { scheme: standard-webhooks, secrets: ["${SECRET}"] }\n`,
  );
  const child = spawn(process.execPath, [BIN, 'start', '--config', config, '--port', '0', '--data-dir', dataDir], {
    env: {
      ...process.env,
      HOOKRELAY_ADMIN_TOKEN: TOKEN,
      HOOKRELAY_LOG_LEVEL: 'info',
      NODE_OPTIONS: process.env.RELAY_NODE_OPTIONS ?? '',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      if (line.includes('hookrelay is listening')) resolve(JSON.parse(line).url);
    });
    child.once('exit', (code) => reject(new Error(`relay exited with ${code}`)));
  });
  return { child, url };
}

/** The relay's V8 heap in use, from its own /metrics. */
async function heapUsedMiB(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(/^hookrelay_nodejs_heap_size_used_bytes (\S+)/m.exec(text)?.[1] ?? Number.NaN) / 1_048_576;
}

async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

/** User + system CPU seconds a process has used so far (clock ticks are 1/100 s on Linux). */
async function cpuSeconds(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function waitMessage<T>(child: ChildProcess, key: string): Promise<T> {
  return new Promise((resolve) => {
    const onMessage = (message: Record<string, unknown>) => {
      if (!(key in message)) return;
      child.off('message', onMessage);
      resolve(message[key] as T);
    };
    child.on('message', onMessage);
  });
}

/** Sends `RATE` signed webhooks a second on an absolute schedule; the payload carries its send time. */
async function ingest(url: string): Promise<{ accepted: number; failed: number; answerMs: number[] }> {
  const total = SECONDS * RATE;
  const start = now();
  let accepted = 0;
  let failed = 0;
  const answerMs: number[] = [];
  const inflight = new Set<Promise<void>>();
  for (let seq = 0; seq < total; seq++) {
    const due = start + (seq * 1000) / RATE;
    // At most 64 requests in flight: a relay that falls behind shows as a late schedule, not a pile of sockets.
    while (inflight.size >= 64) await Promise.race(inflight);
    const wait = due - now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const sentAt = now();
    const body = JSON.stringify({ type: 'bench.tick', seq, sent_at: sentAt });
    const headers = {
      'content-type': 'application/json',
      ...signHeaders({ verify: { scheme: 'standard-webhooks' }, secret: SECRET, body }),
    };
    const request: Promise<void> = fetch(`${url}/hooks/bench`, { method: 'POST', headers, body })
      .then(
        async (res) => {
          await res.arrayBuffer();
          answerMs.push(now() - sentAt);
          if (res.ok) accepted++;
          else failed++;
        },
        () => {
          failed++;
        },
      )
      .finally(() => inflight.delete(request));
    inflight.add(request);
  }
  await Promise.all(inflight);
  return { accepted, failed, answerMs };
}

const dataDir = await mkdtemp(join(tmpdir(), 'hookrelay-bench-'));
const relay = await startRelay(dataDir);
const pid = relay.child.pid as number;
const clients = fork(CLIENTS, [relay.url, TOKEN, String(SOCKETIO), String(SSE)], { execPath: process.execPath });
try {
  await waitMessage(clients, 'ready');
  const rssIdle = await rssMiB(pid);
  const heapIdle = await heapUsedMiB(relay.url);
  const samples: number[] = [];
  const sampler = setInterval(() => void rssMiB(pid).then((mib) => samples.push(mib)), 250);
  const cpuBefore = { relay: await cpuSeconds(pid), clients: await cpuSeconds(clients.pid as number) };
  const started = now();
  const sent = await ingest(relay.url);
  const answers = sent.answerMs.sort((a, b) => a - b);
  clients.send({ expect: sent.accepted });
  await Promise.race([waitMessage(clients, 'caughtUp'), new Promise((resolve) => setTimeout(resolve, 15_000))]);
  clearInterval(sampler);
  const elapsed = (now() - started) / 1000;
  const cpu = {
    relay: ((await cpuSeconds(pid)) - cpuBefore.relay) / elapsed,
    clients: ((await cpuSeconds(clients.pid as number)) - cpuBefore.clients) / elapsed,
  };
  const heapEnd = await heapUsedMiB(relay.url);
  clients.send({ report: true });
  const report = await waitMessage<Record<string, Record<string, number>>>(clients, 'report');
  const fmt = (n: number) => n.toFixed(1);
  console.log(`machine: ${cpus().length} cores, ${cpus()[0]?.model}, Node ${process.version}; store: ${STORE}`);
  const pct = (p: number) => fmt(answers[Math.min(answers.length - 1, Math.floor((p / 100) * answers.length))]);
  console.log(
    `ingest: ${sent.accepted} accepted, ${sent.failed} failed, ${RATE}/s for ${SECONDS} s; ` +
      `200 answer (durable write included) p50 ${pct(50)} ms, p99 ${pct(99)} ms`,
  );
  console.log(
    '| subscribers | clients | dropped | delivered per client (min–max) | out of order | p50 ms | p99 ms | max ms | received_at→client p50 / p99 ms |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const [kind, r] of Object.entries(report)) {
    console.log(
      `| ${kind} | ${r.clients} | ${r.dropped} | ${r.deliveredMin}–${r.deliveredMax} | ${r.outOfOrder} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${fmt(r.max)} | ${fmt(r.storedP50)} / ${fmt(r.storedP99)} |`,
    );
  }
  console.log(
    `relay RSS: ${fmt(rssIdle)} MiB with subscribers connected before ingest, max ${fmt(Math.max(...samples))} MiB, ` +
      `end ${fmt(samples.at(-1) ?? Number.NaN)} MiB (${samples.length} samples); ` +
      `by quarter of the run ${[1, 2, 3, 4].map((q) => fmt(samples[Math.floor((q * samples.length) / 4) - 1])).join(' / ')} MiB; ` +
      `V8 heap used ${fmt(heapIdle)} → ${fmt(heapEnd)} MiB`,
  );
  console.log(
    `CPU over ${fmt(elapsed)} s: relay ${(cpu.relay * 100).toFixed(0)} % of one core, subscriber process ${(cpu.clients * 100).toFixed(0)} %; ` +
      `machine load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
  );
  const worstP99 = Math.max(...Object.values(report).map((r) => r.p99));
  const lost = Object.values(report).some((r) => r.dropped === 0 && r.deliveredMin < sent.accepted);
  console.log(
    `bar: p99 ≤ 100 ms ${worstP99 <= 100 ? 'met' : 'NOT met'}; no event lost by a client that kept up: ${lost ? 'NO' : 'yes'}`,
  );
} finally {
  clients.kill();
  relay.child.kill('SIGTERM');
  await new Promise((resolve) => relay.child.once('exit', resolve));
  await rm(dataDir, { recursive: true, force: true });
}
