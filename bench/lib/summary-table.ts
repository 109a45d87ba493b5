// The closing table of `npm run bench`: every figure the benches reported (bench/lib/summary.ts), the
// ratio to its same-run baseline, the goal and whether it was met; and the machine it all ran on.
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import { type BenchResult, compared, goalText, verdict } from './summary.ts';

const figure = (n: number) => (Number.isInteger(n) || Math.abs(n) >= 100 ? n.toFixed(0) : n.toFixed(1));
const gib = (bytes: number) => (bytes / 1024 ** 3).toFixed(1);

export function loadAverage(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}

export function machine(loadAtStart: string, loadAtEnd: string): string {
  return [
    `- nproc: ${cpus().length}; CPU: ${cpus()[0]?.model ?? 'unknown'}`,
    `- memory: ${gib(totalmem())} GiB (${gib(freemem())} GiB free at the end); Node ${process.version}`,
    `- load average (1, 5, 15 min): at start ${loadAtStart}; at end ${loadAtEnd}`,
  ].join('\n');
}

export function table(results: BenchResult[]): string {
  const rows = results.map((r) => {
    const ratio = r.baseline === undefined ? '' : `${compared(r).toFixed(2)}×`;
    const baseline = r.baseline === undefined ? '' : `${figure(r.baseline)} ${r.unit}`;
    return `| ${r.bench} | ${r.metric} | ${figure(r.relay)} ${r.unit} | ${baseline} | ${ratio} | ${goalText(r)} | ${verdict(r)} |`;
  });
  return [
    '| bench | figure | relay | baseline (same run) | ratio | goal | result |',
    '|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}
