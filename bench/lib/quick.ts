// BENCH_QUICK=1 shrinks every bench to a smoke run (a few seconds each), so `npm run bench` can be checked
// end to end in a couple of minutes. Its figures show that the benches work, not how fast the relay is.
export const QUICK = process.env.BENCH_QUICK === '1';

/** The full-run size, or the quick one under BENCH_QUICK=1. */
export function sized<T>(full: T, quick: T): T {
  return QUICK ? quick : full;
}
