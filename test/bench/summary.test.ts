import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type BenchResult, compared, report, verdict } from '../../bench/lib/summary.ts';
import { table } from '../../bench/lib/summary-table.ts';

describe('bench summary: figures against goals', () => {
  it('compares a rate as relay / baseline against a lower bound', () => {
    const rate: BenchResult = {
      bench: 'ingest',
      metric: 'rate',
      unit: 'req/s',
      relay: 700,
      baseline: 1000,
      goal: { op: '>=', value: 0.7 },
    };
    assert.equal(compared(rate), 0.7);
    assert.equal(verdict(rate), 'met');
    assert.equal(verdict({ ...rate, relay: 690 }), 'NOT met');
  });

  it('compares a latency as relay / baseline against an upper bound, and an absolute figure as it is', () => {
    const p99: BenchResult = {
      bench: 'fanout',
      metric: 'p99',
      unit: 'ms',
      relay: 60,
      baseline: 40,
      goal: { op: '<=', value: 1.5 },
    };
    assert.equal(verdict(p99), 'met');
    assert.equal(verdict({ ...p99, relay: 61 }), 'NOT met');
    const lost: BenchResult = { bench: 'fanout', metric: 'lost', unit: 'events', relay: 1, goal: { op: '<=', value: 0 } };
    assert.equal(compared(lost), 1);
    assert.equal(verdict(lost), 'NOT met');
    assert.equal(verdict({ ...lost, goal: undefined }), '-');
  });

  it('appends each reported figure to BENCH_SUMMARY, and the table shows ratio, goal and verdict', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hookrelay-bench-summary-test-'));
    const file = join(dir, 'results.jsonl');
    const before = process.env.BENCH_SUMMARY;
    process.env.BENCH_SUMMARY = file;
    const log = console.log;
    console.log = () => {};
    try {
      report({
        bench: 'workflow',
        metric: 'end to end',
        unit: 'events/s',
        relay: 450,
        baseline: 500,
        goal: { op: '>=', value: 0.9 },
      });
      report({ bench: 'deliver', metric: 'deliveries/s', unit: '/s', relay: 2500, goal: { op: '>=', value: 3000 } });
    } finally {
      console.log = log;
      if (before === undefined) delete process.env.BENCH_SUMMARY;
      else process.env.BENCH_SUMMARY = before;
    }
    const results = (await readFile(file, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as BenchResult);
    await rm(dir, { recursive: true, force: true });
    assert.deepEqual(
      results.map((r) => r.bench),
      ['workflow', 'deliver'],
    );
    const rows = table(results).split('\n');
    assert.equal(rows.length, 4);
    assert.equal(rows[2], '| workflow | end to end | 450 events/s | 500 events/s | 0.90× | ≥ 0.9× | met |');
    assert.equal(rows[3], '| deliver | deliveries/s | 2500 /s |  |  | ≥ 3000 /s | NOT met |');
  });
});
