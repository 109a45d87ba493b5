// npm run bench: every `bench:*` script in package.json, one after another (they share the machine, so
// never in parallel), then one summary table of every figure against its goal and the machine it ran on.
// BENCH_QUICK=1 makes it a smoke run of a couple of minutes. Exits non-zero if any bench fails.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QUICK } from './lib/quick.ts';
import type { BenchResult } from './lib/summary.ts';
import { loadAverage, machine, table } from './lib/summary-table.ts';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> };
const names = Object.keys(pkg.scripts).filter((name) => name.startsWith('bench:'));
const dir = mkdtempSync(join(tmpdir(), 'hookrelay-bench-summary-'));
const summaryFile = join(dir, 'results.jsonl');
writeFileSync(summaryFile, '');
const loadAtStart = loadAverage();
const started = performance.now();
const failed: string[] = [];
for (const name of names) {
  console.log(`\n=== npm run ${name}`);
  const { status } = spawnSync('npm', ['run', '--silent', name], {
    stdio: 'inherit',
    env: { ...process.env, BENCH_SUMMARY: summaryFile },
  });
  if (status !== 0) failed.push(name);
}
const results = readFileSync(summaryFile, 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((line) => JSON.parse(line) as BenchResult);
rmSync(dir, { recursive: true, force: true });

console.log(
  `\n=== summary${QUICK ? ' (BENCH_QUICK=1: a smoke run, not a measurement)' : ''}, ${((performance.now() - started) / 60_000).toFixed(1)} min\n`,
);
console.log(table(results));
console.log(`\n${machine(loadAtStart, loadAverage())}`);
const reporting = new Set(results.map((r) => r.bench));
const silent = names.filter((name) => !reporting.has(name.slice('bench:'.length)));
if (silent.length) console.log(`- no figure against a goal from: ${silent.join(', ')} (see their own output above)`);
console.log(failed.length ? `\nfailed: ${failed.join(', ')}` : `\nall ${names.length} benchmarks ran`);
process.exitCode = failed.length ? 1 : 0;
