// One fan-out phase of bench/fanout.ts against one server (the relay or the bare pipeline): the
// subscribers, spread over several client processes so they are not what is measured, connect; signed
// webhooks arrive at a steady rate; then every client process reports what it saw.
import { type ChildProcess, fork } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { signHeaders } from '../../server/ingest/signers.ts';

export interface FanoutOptions {
  seconds: number;
  rate: number;
  socketio: number;
  sse: number;
  clientProcesses: number;
  secret: string;
  token: string;
  /**
   * Webhooks sent, not measured, once the subscribers are connected and before the measured ones, so
   * neither the sender, the server's fan-out nor the subscribers are measured cold.
   */
  warmUpSeconds: number;
  /** How long subscribers may take to catch up after the last webhook before what is missing counts as lost. */
  catchUpMs: number;
}

export interface KindResult {
  clients: number;
  dropped: number;
  /** Events a connected subscriber never received (summed over subscribers). */
  lost: number;
  deliveredMin: number;
  deliveredMax: number;
  outOfOrder: number;
  p50: number;
  p99: number;
  max: number;
  fanOutP50: number;
  fanOutP99: number;
}

export interface PhaseResult {
  accepted: number;
  failed: number;
  answerP50: number;
  answerP99: number;
  /** Server CPU over the phase, as a share of one core. */
  serverCpu: number;
  clientCpu: number;
  /** The busiest client process's CPU, as a share of one core: near 1, the clients are what is measured. */
  busiestClientCpu: number;
  rssMaxMiB: number;
  kinds: Record<'socketio' | 'sse', KindResult>;
}

interface Observed {
  latencies: Float64Array;
  fanOut: Float64Array;
  subscribers: Array<{ received: number; outOfOrder: number; dropped: boolean }>;
}

const CLIENTS = fileURLToPath(new URL('../fanout-clients.ts', import.meta.url));
const now = () => performance.timeOrigin + performance.now();

export function percentile(sorted: ArrayLike<number>, p: number): number {
  return sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

/** User + system CPU seconds a process has used so far (clock ticks are 1/100 s on Linux). */
export async function cpuSeconds(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function waitMessage<T>(child: ChildProcess, key: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: Record<string, unknown>) => {
      if (!(key in message)) return;
      child.off('message', onMessage);
      resolve(message[key] as T);
    };
    child.on('message', onMessage);
    child.once('exit', (code) => reject(new Error(`client process exited with ${code} before '${key}'`)));
  });
}

/** Splits `total` as evenly as possible over `parts`. */
const share = (total: number, parts: number, index: number) => Math.floor(total / parts) + (index < total % parts ? 1 : 0);

/**
 * Sends `rate` signed webhooks a second on an absolute schedule; the payload carries its send time, and
 * `warmup: true` for the warm-up's, which subscribers do not measure.
 */
async function ingest(url: string, options: FanoutOptions, warmup = false) {
  const total = options.seconds * options.rate;
  const start = now();
  let accepted = 0;
  let failed = 0;
  const answerMs: number[] = [];
  const inflight = new Set<Promise<void>>();
  for (let seq = 0; seq < total; seq++) {
    const due = start + (seq * 1000) / options.rate;
    // At most 64 requests in flight: a server that falls behind shows as a late schedule, not a pile of sockets.
    while (inflight.size >= 64) await Promise.race(inflight);
    const wait = due - now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const sentAt = now();
    const body = JSON.stringify({ type: 'bench.tick', seq, sent_at: sentAt, ...(warmup && { warmup: true }) });
    const headers = {
      'content-type': 'application/json',
      ...signHeaders({ verify: { scheme: 'standard-webhooks' }, secret: options.secret, body }),
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
  return { accepted, failed, answers: answerMs.sort((a, b) => a - b) };
}

function merge(parts: Observed[], expected: number): KindResult {
  const latencies = Float64Array.from(parts.flatMap((p) => Array.from(p.latencies))).sort();
  const fanOut = Float64Array.from(parts.flatMap((p) => Array.from(p.fanOut))).sort();
  const subscribers = parts.flatMap((p) => p.subscribers);
  const received = subscribers.map((s) => s.received);
  return {
    clients: subscribers.length,
    dropped: subscribers.filter((s) => s.dropped).length,
    lost: subscribers.reduce((n, s) => n + Math.max(0, expected - s.received), 0),
    deliveredMin: received.length ? Math.min(...received) : 0,
    deliveredMax: received.length ? Math.max(...received) : 0,
    outOfOrder: subscribers.reduce((n, s) => n + s.outOfOrder, 0),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies.at(-1) ?? Number.NaN,
    fanOutP50: percentile(fanOut, 50),
    fanOutP99: percentile(fanOut, 99),
  };
}

export async function runFanout(url: string, serverPid: number, options: FanoutOptions): Promise<PhaseResult> {
  const processes = Array.from({ length: options.clientProcesses }, (_, i) =>
    fork(
      CLIENTS,
      [
        url,
        options.token,
        String(share(options.socketio, options.clientProcesses, i)),
        String(share(options.sse, options.clientProcesses, i)),
      ],
      { execPath: process.execPath, serialization: 'advanced' },
    ),
  );
  try {
    await Promise.all(processes.map((child) => waitMessage(child, 'ready')));
    // The warm-up goes through the whole pipeline, subscribers included; measuring starts once every
    // subscriber has seen it (or after catchUpMs: a subscriber that has not counts as lost below).
    const warm = await ingest(url, { ...options, seconds: options.warmUpSeconds }, true);
    for (const child of processes) child.send({ warmup: warm.accepted });
    const warmedUp = Promise.all(processes.map((child) => waitMessage(child, 'warmedUp')));
    warmedUp.catch(() => {});
    await Promise.race([warmedUp, new Promise((resolve) => setTimeout(resolve, options.catchUpMs))]);
    const rss: number[] = [];
    const sampler = setInterval(() => void rssMiB(serverPid).then((mib) => rss.push(mib)), 250);
    const clientCpu = () => Promise.all(processes.map((c) => cpuSeconds(c.pid as number)));
    const before = { server: await cpuSeconds(serverPid), clients: await clientCpu() };
    const started = now();
    const sent = await ingest(url, options);
    for (const child of processes) child.send({ expect: sent.accepted });
    const caughtUp = Promise.all(processes.map((child) => waitMessage(child, 'caughtUp')));
    caughtUp.catch(() => {}); // a process that never catches up is reported as lost events, not an error
    await Promise.race([caughtUp, new Promise((resolve) => setTimeout(resolve, options.catchUpMs))]);
    clearInterval(sampler);
    const elapsed = (now() - started) / 1000;
    const serverCpu = ((await cpuSeconds(serverPid)) - before.server) / elapsed;
    const perClient = (await clientCpu()).map((seconds, i) => (seconds - before.clients[i]) / elapsed);
    for (const child of processes) child.send({ report: true });
    const reports = await Promise.all(
      processes.map((child) => waitMessage<Record<'socketio' | 'sse', Observed>>(child, 'report')),
    );
    return {
      accepted: sent.accepted,
      failed: sent.failed,
      answerP50: percentile(sent.answers, 50),
      answerP99: percentile(sent.answers, 99),
      serverCpu,
      clientCpu: perClient.reduce((a, b) => a + b, 0),
      busiestClientCpu: Math.max(...perClient),
      rssMaxMiB: Math.max(...rss),
      kinds: {
        socketio: merge(
          reports.map((r) => r.socketio),
          sent.accepted,
        ),
        sse: merge(
          reports.map((r) => r.sse),
          sent.accepted,
        ),
      },
    };
  } finally {
    for (const child of processes) if (child.exitCode === null) child.kill();
  }
}
