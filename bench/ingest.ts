// npm run bench:ingest: signed Standard Webhooks ingest against the relay (lowdb driver, temporary data
// dir) and against a bare Express 5 handler that parses the same JSON, both in child processes; then the
// same load with 50,000 events already stored. Not a test: it prints figures for docs/benchmarks.md.
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { printResult, runLoad, type LoadResult } from './lib/load.ts';
import { preSign } from './lib/messages.ts';
import { prefill } from './lib/prefill.ts';
import { countEvents, eventLoopDelay, startBaseline, startRelay, stopChild } from './lib/relay-child.ts';

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 20_000);
const WARMUP = 2_000;
const STORED = 50_000;

async function relayRun(label: string, stored: number): Promise<LoadResult> {
  const dataDir = await mkdtemp(join(tmpdir(), 'hookrelay-bench-'));
  try {
    if (stored > 0) console.log(`prefilled ${stored} events in ${(await prefill(dataDir, stored)).toFixed(0)} ms`);
    const startedAt = performance.now();
    const relay = await startRelay(dataDir);
    console.log(`relay listening after ${(performance.now() - startedAt).toFixed(0)} ms (${stored} events loaded)`);
    const warmup = await runLoad('warm-up', relay.url, preSign(WARMUP, `${label}-warm`));
    const messages = preSign(MESSAGES, label);
    await eventLoopDelay(relay.url);
    const result = await runLoad(label, relay.url, messages);
    const delay = await eventLoopDelay(relay.url);
    printResult(result);
    // prom-client samples every 10 ms, and its figures include that interval: 10 ms means no delay.
    console.log(
      `  relay event-loop delay (10 ms sampling, interval included): p99 ${delay.p99.toFixed(1)} ms, max ${delay.max.toFixed(1)} ms`,
    );
    const listed = (await countEvents(relay.url)) - stored - warmup.ok;
    const verdict = listed === result.ok ? 'every acknowledged event is stored' : 'MISMATCH';
    console.log(`  acknowledged ${result.ok}, listed ${listed}: ${verdict}`);
    await stopChild(relay.child);
    return result;
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function baselineRun(): Promise<LoadResult> {
  const baseline = await startBaseline();
  await runLoad('warm-up', baseline.url, preSign(WARMUP, 'base-warm'));
  const result = await runLoad('bare express (baseline)', baseline.url, preSign(MESSAGES, 'base'));
  printResult(result);
  await stopChild(baseline.child);
  return result;
}

console.log(`${cpus().length} cpus, ${cpus()[0]?.model}, Node ${process.version}; ${MESSAGES} messages per run, 50 connections`);
const base = await baselineRun();
const empty = await relayRun('relay, empty store', 0);
const full = await relayRun(`relay, ${STORED} stored`, STORED);
const ratio = empty.rps / base.rps;
const kept = full.rps / empty.rps;
console.log(`ratio relay/baseline: ${ratio.toFixed(2)} (bar >= 0.5); p99 ${empty.p99} ms (bar <= 25)`);
console.log(`with ${STORED} stored: ${(kept * 100).toFixed(0)}% of the empty-store rate (bar >= 80%), p99 ${full.p99} ms`);
const errors = base.errors + empty.errors + full.errors;
const met = ratio >= 0.5 && empty.p99 <= 25 && full.p99 <= 25 && kept >= 0.8 && errors === 0;
console.log(met ? 'bar met' : 'bar NOT met');
