// The operations the table crash test and its child process agree on.
export interface Row {
  id: string;
  n: number;
  pad: string;
}
export type Op = { kind: 'put'; id: string; row: Row } | { kind: 'delete'; id: string };

/** Rows written in one batch: distinct, so the order of a batch's writes does not matter. */
export const BATCH = 50;
const ROWS = 2_000;
const PAD = 'p'.repeat(1_000);

/** Operation i: mostly puts cycling over the rows (so the log churns and compacts), a delete every seventh. */
export function opOf(i: number): Op {
  const id = `r${i % ROWS}`;
  return i % 7 === 6 ? { kind: 'delete', id } : { kind: 'put', id, row: { id, n: i, pad: PAD } };
}
