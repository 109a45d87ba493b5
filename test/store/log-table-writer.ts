// Child process for the table crash test: writes to a LogTable until killed, in batches of operations
// on distinct rows, and prints each batch's first operation number once the whole batch is durable.
// Prints "compacting" once per compaction it sees begin. Operation i is opOf(i) (table-ops.ts).
import { LogTable } from '../../server/store/log-table.ts';
import { BATCH, opOf, type Row } from './table-ops.ts';

const [file, from] = process.argv.slice(2);
const table = new LogTable<Row>('crash', file);
await table.open();
let announced = false;
for (let i = Number(from); ; i += BATCH) {
  const batch = Array.from({ length: BATCH }, (_, k) => opOf(i + k));
  await Promise.all(batch.map((op) => (op.kind === 'put' ? table.put(op.row) : table.delete(op.id))));
  const line = `${i}\n`;
  if (table.compacting && !announced) process.stdout.write(`compacting\n${line}`);
  else process.stdout.write(line);
  announced = table.compacting;
}
