// How a bench reports a figure against its goal (issue 21's goals are ratios to a baseline measured in the
// same run; a few are absolute). Each result prints one line, and when BENCH_SUMMARY names a file (as
// `npm run bench` does) it is also appended there as one JSON line for the closing summary table.
import { appendFileSync } from 'node:fs';

export interface Goal {
  /** `>=` for rates (higher is better), `<=` for latencies and memory (lower is better). */
  op: '>=' | '<=';
  value: number;
}

export interface BenchResult {
  bench: string;
  metric: string;
  unit: string;
  relay: number;
  /** The same figure for the bare pipeline in the same run; absent for an absolute goal. */
  baseline?: number;
  goal?: Goal;
}

/** The figure compared with the goal: relay / baseline, or the relay's own figure for an absolute goal. */
export function compared(result: BenchResult): number {
  return result.baseline === undefined ? result.relay : result.relay / result.baseline;
}

export function verdict(result: BenchResult): 'met' | 'NOT met' | '-' {
  const { goal } = result;
  if (!goal) return '-';
  const value = compared(result);
  const met = goal.op === '>=' ? value >= goal.value : value <= goal.value;
  return met ? 'met' : 'NOT met';
}

export function goalText(result: BenchResult): string {
  if (!result.goal) return 'no goal';
  return `${result.goal.op === '>=' ? '≥' : '≤'} ${result.goal.value}${result.baseline === undefined ? ` ${result.unit}` : '×'}`;
}

const figure = (n: number) => (Number.isInteger(n) || Math.abs(n) >= 100 ? n.toFixed(0) : n.toFixed(1));

export function describe(result: BenchResult): string {
  const base =
    result.baseline === undefined
      ? `${figure(result.relay)} ${result.unit}`
      : `relay ${figure(result.relay)} ${result.unit}, baseline ${figure(result.baseline)} ${result.unit}, ratio ${compared(result).toFixed(2)}×`;
  return result.goal ? `${result.metric}: ${base} (goal ${goalText(result)}: ${verdict(result)})` : `${result.metric}: ${base}`;
}

export function report(result: BenchResult): void {
  console.log(describe(result));
  const file = process.env.BENCH_SUMMARY;
  if (file) appendFileSync(file, `${JSON.stringify(result)}\n`);
}
