import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { LogTable } from '../../server/store/log-table.ts';
import { BATCH, opOf, type Row } from './table-ops.ts';

const WRITER = fileURLToPath(new URL('./log-table-writer.ts', import.meta.url));
const ROUNDS = 6;

/** One life of the writer: the operations it issued and those it reported durable. */
interface Life {
  from: number;
  /** Operations below this were acknowledged. */
  durableTo: number;
  /** Operations below this may have reached the file (the batch in flight at the kill). */
  issuedTo: number;
}

/** Runs the writer from `from` and kills it: as a compaction begins, or after `batches` batches. */
async function life(file: string, from: number, killAt: 'compaction' | number): Promise<Life> {
  const child = spawn(process.execPath, [WRITER, file, String(from)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = once(child, 'exit');
  let durableTo = from;
  let batches = 0;
  let compacting = false;
  const lines = createInterface({ input: child.stdout });
  lines.on('line', (line) => {
    if (line === 'compacting') {
      compacting = true;
      if (killAt === 'compaction') child.kill('SIGKILL');
      return;
    }
    durableTo = Number(line) + BATCH;
    batches++;
    // A life that waits for a compaction stops anyway after a bound, and then fails below.
    if (batches === (killAt === 'compaction' ? 2_000 : killAt)) child.kill('SIGKILL');
  });
  await once(lines, 'close');
  const [, signal] = await exited;
  assert.equal(signal, 'SIGKILL', 'the writer stopped before it was killed');
  if (killAt === 'compaction') assert.ok(compacting, 'no compaction began');
  return { from, durableTo, issuedTo: durableTo + BATCH };
}

/** Every row is the result of its last acknowledged operation, or of one issued after it. */
function check(table: LogTable<Row>, lives: Life[]): void {
  const lastDurable = new Map<string, number>();
  const possible = new Map<string, Set<number>>();
  for (const l of lives) {
    for (let i = l.from; i < l.issuedTo; i++) {
      const { id } = opOf(i);
      if (i < l.durableTo) {
        lastDurable.set(id, i);
        possible.set(id, new Set([i]));
      } else possible.get(id)?.add(i) ?? possible.set(id, new Set([i]));
    }
  }
  for (const [id, ops] of possible) {
    const row = table.get(id);
    const fits = [...ops].some((i) => {
      const op = opOf(i);
      return op.kind === 'delete' ? row === undefined : row?.n === i;
    });
    assert.ok(fits, `${id} is ${row ? `n=${row.n}` : 'absent'}; last acknowledged operation ${lastDurable.get(id)}`);
  }
  assert.equal(table.size, [...possible.keys()].filter((id) => table.get(id)).length, 'rows nobody wrote');
}

describe('LogTable under kill -9', () => {
  const dirs: string[] = [];
  after(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('keeps every acknowledged write across kills, alternating kills as a compaction begins with kills between', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hookrelay-table-crash-'));
    dirs.push(dir);
    const file = join(dir, 'crash.jsonl');
    const lives: Life[] = [];
    let from = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const l = await life(file, from, round % 2 === 0 ? 'compaction' : 37 + round * 11);
      lives.push(l);
      assert.ok(l.durableTo > l.from, `round ${round}: nothing was acknowledged`);
      const table = new LogTable<Row>('crash', file);
      await table.open();
      try {
        check(table, lives);
      } finally {
        await table.close();
      }
      // The next life starts past anything the killed one may have issued.
      from = l.issuedTo;
    }
  });
});
