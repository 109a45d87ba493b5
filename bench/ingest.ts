// npm run bench:ingest: signed Standard Webhooks ingest against the relay (lowdb driver, temporary data
// dir), against a bare Express 5 handler that parses the same JSON, and against a second relay whose data
// dir already holds 50,000 events; each server in its own child process. The load alternates between
// the three in short bursts, so other work on the machine weighs on all three alike. Not a test: it
// prints figures for docs/benchmarks.md.
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { type LoadResult, runLoad } from './lib/load.ts';
import { preSign } from './lib/messages.ts';
import { prefill } from './lib/prefill.ts';
import { sized } from './lib/quick.ts';
import { countEvents, cpuSeconds, eventLoopDelay, startBaseline, startRelay, stopChild } from './lib/relay-child.ts';
import { report } from './lib/summary.ts';

const BURSTS = Number(process.env.BENCH_BURSTS ?? sized(6, 2));
const PER_BURST = Number(process.env.BENCH_PER_BURST ?? sized(2_500, 1_000));
const WARMUP = 2_000;
const STORED = sized(50_000, 5_000);

interface Target {
  label: string;
  url: string;
  child: ChildProcess;
  relay: boolean;
  bursts: LoadResult[];
  cpu: number;
  startMs: number;
  /** Events stored before the bursts: prefilled plus the warm-up. */
  storedBefore: number;
}

async function target(label: string, start: () => Promise<{ url: string; child: ChildProcess }>, relay: boolean) {
  const started = performance.now();
  const { url, child } = await start();
  const startMs = performance.now() - started;
  const storedBefore = relay ? await countEvents(url) : 0;
  const warmup = await runLoad('warm-up', url, preSign(WARMUP, `${label}-warm`));
  if (relay) await eventLoopDelay(url); // resets the relay's event-loop histogram
  return { label, url, child, relay, bursts: [], cpu: 0, startMs, storedBefore: storedBefore + warmup.ok } as Target;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1];

function summary(t: Target) {
  const requests = t.bursts.reduce((sum, b) => sum + b.requests, 0);
  const seconds = t.bursts.reduce((sum, b) => sum + b.requests / b.rps, 0);
  const errors = t.bursts.reduce((sum, b) => sum + b.errors, 0);
  const ok = t.bursts.reduce((sum, b) => sum + b.ok, 0);
  const p99s = t.bursts.map((b) => b.p99);
  return {
    rps: requests / seconds,
    p50: median(t.bursts.map((b) => b.p50)),
    p99: median(p99s),
    p99max: Math.max(...p99s),
    errors,
    ok,
    cpuMicros: (t.cpu / requests) * 1e6,
  };
}

console.log(
  `${cpus().length} cpus, ${cpus()[0]?.model}, Node ${process.version}; ${BURSTS} bursts of ${PER_BURST} messages per server, 50 connections`,
);
const emptyDir = await mkdtemp(join(tmpdir(), 'hookrelay-bench-'));
const fullDir = await mkdtemp(join(tmpdir(), 'hookrelay-bench-'));
const targets: Target[] = [];
try {
  console.log(`prefilled ${STORED} events in ${(await prefill(fullDir, STORED)).toFixed(0)} ms`);
  targets.push(await target('bare express (baseline)', startBaseline, false));
  targets.push(await target('relay, empty store', () => startRelay(emptyDir), true));
  targets.push(await target(`relay, ${STORED} stored`, () => startRelay(fullDir), true));
  for (let burst = 0; burst < BURSTS; burst++) {
    for (const t of targets) {
      const messages = preSign(PER_BURST + 100, `${t.label.replaceAll(/\W/g, '')}-${burst}`);
      const cpuBefore = await cpuSeconds(t.child.pid);
      t.bursts.push(await runLoad(t.label, t.url, messages));
      t.cpu += (await cpuSeconds(t.child.pid)) - cpuBefore;
    }
  }
  const rows = targets.map((t) => ({ t, s: summary(t) }));
  for (const { t, s } of rows) {
    console.log(
      `${t.label.padEnd(26)} ${s.rps.toFixed(0).padStart(6)} req/s  p50 ${s.p50} ms  p99 ${s.p99} ms (worst burst ${s.p99max} ms)  ` +
        `errors ${s.errors}  CPU ${s.cpuMicros.toFixed(0)} µs/request`,
    );
    if (!t.relay) continue;
    const delay = await eventLoopDelay(t.url);
    const listed = (await countEvents(t.url)) - t.storedBefore;
    console.log(
      `    started in ${t.startMs.toFixed(0)} ms; event-loop delay over the bursts p99 ${delay.p99.toFixed(0)} ms, max ` +
        `${delay.max.toFixed(0)} ms (10 ms sampling, interval included); acknowledged ${s.ok}, listed ${listed}` +
        (listed === s.ok ? ': every acknowledged event is stored' : ': MISMATCH'),
    );
    if (listed !== s.ok) s.errors++;
  }
  const [base, empty, full] = rows.map((r) => r.s);
  const ratio = empty.rps / base.rps;
  const kept = full.rps / empty.rps;
  const errors = base.errors + empty.errors + full.errors;
  console.log(`ratio relay / baseline ${ratio.toFixed(2)} (bar >= 0.5); relay p99 ${empty.p99} ms (bar <= 25 ms)`);
  console.log(
    `CPU per request, baseline / relay: ${(base.cpuMicros / empty.cpuMicros).toFixed(2)} (what the ratio tends to when the relay is CPU-bound)`,
  );
  console.log(
    `with ${STORED} stored: ${(kept * 100).toFixed(0)}% of the empty-store rate (bar >= 80%), p99 ${full.p99} ms; errors ${errors}`,
  );
  report({
    bench: 'ingest',
    metric: 'rate',
    unit: 'req/s',
    relay: empty.rps,
    baseline: base.rps,
    goal: { op: '>=', value: 0.7 },
  });
  report({ bench: 'ingest', metric: 'p99', unit: 'ms', relay: empty.p99, baseline: base.p99, goal: { op: '<=', value: 1.5 } });
  const met = ratio >= 0.5 && empty.p99 <= 25 && full.p99 <= 25 && kept >= 0.8 && errors === 0;
  console.log(met ? 'bar met' : 'bar NOT met');
} finally {
  for (const t of targets) await stopChild(t.child);
  await rm(emptyDir, { recursive: true, force: true });
  await rm(fullDir, { recursive: true, force: true });
}
