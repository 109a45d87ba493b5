// Loaded into a relay with `node --import` by bench:scale: counts the SQL statements the relay sends to
// PostgreSQL, by statement, so the bench can give queries per event without pg_stat_statements (which
// needs `shared_preload_libraries` on the server). It also notes the server process (backend) of every
// connection that sent one, so the bench can read the CPU PostgreSQL spent on this relay's statements.
// On SIGUSR2 both are written, as one JSON object `{ counts, backends }`, to the file
// BENCH_QUERY_COUNT_FILE names. Every query of the pg driver goes through Client.prototype.query
// (pooled clients too), so that is the one place counted.
import { writeFileSync } from 'node:fs';
import pg from 'pg';

const file = process.env.BENCH_QUERY_COUNT_FILE;
const counts: Record<string, number> = {};
const backends = new Set<number>();

/** The statement's first words, spaces folded: enough to tell the relay's statements apart. */
function statementKey(config: unknown): string {
  const text = typeof config === 'string' ? config : ((config as { text?: string } | null)?.text ?? '(other)');
  return text.replaceAll(/\s+/g, ' ').trim().slice(0, 90);
}

if (file) {
  const query = pg.Client.prototype.query as (...args: unknown[]) => unknown;
  (pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown }).query = function (
    this: pg.Client & { processID?: number | null },
    ...args: unknown[]
  ) {
    const key = statementKey(args[0]);
    counts[key] = (counts[key] ?? 0) + 1;
    if (this.processID) backends.add(this.processID);
    return query.apply(this, args);
  };
  process.on('SIGUSR2', () => writeFileSync(file, JSON.stringify({ counts, backends: [...backends] })));
}
