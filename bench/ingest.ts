// npm run bench:ingest: signed Standard Webhooks ingest against the relay (lowdb driver, temporary data
// dir) and against a bare Express 5 handler that parses the same JSON, both in child processes; and the
// relay again with 50,000 events already stored. The three runs are interleaved for ROUNDS rounds and
// the median of each is compared, so a burst of other work on the machine skews one round, not the
// verdict. Not a test: it prints figures for docs/benchmarks.md.
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LoadResult, printResult, runLoad } from './lib/load.ts';
import { preSign } from './lib/messages.ts';
import { prefill } from './lib/prefill.ts';
import { countEvents, cpuSeconds, eventLoopDelay, startBaseline, startRelay, stopChild } from './lib/relay-child.ts';

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 15_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const WARMUP = 2_000;
const STORED = 50_000;

async function relayRun(label: string, dataDir: string, stored: number): Promise<LoadResult> {
  const startedAt = performance.now();
  const relay = await startRelay(dataDir);
  const startMs = performance.now() - startedAt;
  const before = await countEvents(relay.url);
  const warmup = await runLoad('warm-up', relay.url, preSign(WARMUP, `${label}-warm`));
  const messages = preSign(MESSAGES, label);
  await eventLoopDelay(relay.url);
  const cpuBefore = await cpuSeconds(relay.child.pid);
  const result = await runLoad(label, relay.url, messages);
  const cpuMicros = (((await cpuSeconds(relay.child.pid)) - cpuBefore) / result.requests) * 1e6;
  const delay = await eventLoopDelay(relay.url);
  printResult(result);
  const listed = (await countEvents(relay.url)) - before - warmup.ok;
  console.log(
    `    started in ${startMs.toFixed(0)} ms with ${stored} events; event-loop delay p99 ${delay.p99.toFixed(0)} ms, ` +
      `max ${delay.max.toFixed(0)} ms (10 ms sampling, interval included); relay CPU ${cpuMicros.toFixed(0)} µs/request; acknowledged ${result.ok}, listed ${listed}` +
      (listed === result.ok ? '' : '  MISMATCH'),
  );
  await stopChild(relay.child);
  return { ...result, errors: result.errors + warmup.errors + (listed === result.ok ? 0 : 1) };
}

async function baselineRun(round: number): Promise<LoadResult> {
  const baseline = await startBaseline();
  await runLoad('warm-up', baseline.url, preSign(WARMUP, `base-warm-${round}`));
  const cpuBefore = await cpuSeconds(baseline.child.pid);
  const result = await runLoad('bare express (baseline)', baseline.url, preSign(MESSAGES, `base-${round}`));
  const cpuMicros = (((await cpuSeconds(baseline.child.pid)) - cpuBefore) / result.requests) * 1e6;
  printResult(result);
  console.log(`    baseline CPU ${cpuMicros.toFixed(0)} µs/request`);
  await stopChild(baseline.child);
  return result;
}

const median = (runs: LoadResult[], key: 'rps' | 'p99') => runs.map((r) => r[key]).sort((a, b) => a - b)[runs.length >> 1];

console.log(`${cpus().length} cpus, ${cpus()[0]?.model}, Node ${process.version}; ${MESSAGES} messages per run, 50 connections`);
const runs: Record<'base' | 'empty' | 'full', LoadResult[]> = { base: [], empty: [], full: [] };
for (let round = 0; round < ROUNDS; round++) {
  console.log(`round ${round + 1} of ${ROUNDS}`);
  const emptyDir = await mkdtemp(join(tmpdir(), 'hookrelay-bench-'));
  const fullDir = await mkdtemp(join(tmpdir(), 'hookrelay-bench-'));
  try {
    runs.base.push(await baselineRun(round));
    runs.empty.push(await relayRun(`relay, empty store ${round}`, emptyDir, 0));
    await prefill(fullDir, STORED);
    runs.full.push(await relayRun(`relay, ${STORED} stored ${round}`, fullDir, STORED));
  } finally {
    await rm(emptyDir, { recursive: true, force: true });
    await rm(fullDir, { recursive: true, force: true });
  }
}
const [base, empty, full] = [runs.base, runs.empty, runs.full].map((r) => ({ rps: median(r, 'rps'), p99: median(r, 'p99') }));
const errors = [...runs.base, ...runs.empty, ...runs.full].reduce((sum, r) => sum + r.errors, 0);
console.log(`\nmedians over ${ROUNDS} rounds:`);
console.log(`  baseline ${base.rps.toFixed(0)} req/s p99 ${base.p99} ms`);
console.log(
  `  relay    ${empty.rps.toFixed(0)} req/s p99 ${empty.p99} ms   ratio ${(empty.rps / base.rps).toFixed(2)} (bar >= 0.5, p99 <= 25 ms)`,
);
console.log(
  `  relay with ${STORED} stored ${full.rps.toFixed(0)} req/s p99 ${full.p99} ms   ${((full.rps / empty.rps) * 100).toFixed(0)}% of empty (bar >= 80%)`,
);
console.log(`  errors ${errors}`);
const met = empty.rps / base.rps >= 0.5 && empty.p99 <= 25 && full.p99 <= 25 && full.rps / empty.rps >= 0.8 && errors === 0;
console.log(met ? 'bar met' : 'bar NOT met');
