import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Workflow } from '../../server/workflows/definition.ts';
import type { RunEngine, StartOptions } from '../../server/workflows/engine.ts';
import { compileSchedule } from '../../server/workflows/schedule.ts';
import { LATE_MS, Scheduler, scheduledRunId } from '../../server/workflows/scheduler.ts';
import { memoryTables } from '../../server/store/memory-table.ts';
import { createLogger } from '../../server/ops/logger.ts';
import { FakeClock } from '../helpers/fake-clock.ts';

// The scheduler's policy on a clock the test moves: first sight, one run per tick, missed ticks.

const MIN = 60_000;

function setup(missed: 'once' | 'skip') {
  const clock = new FakeClock(Date.UTC(2026, 11, 7, 10, 0, 30));
  const started: StartOptions[] = [];
  const engine = { start: async (_w: Workflow, options: StartOptions) => void started.push(options) } as unknown as RunEngine;
  const workflow = { name: 'tick', schedule: compileSchedule({ every: '1m', missed }) } as Workflow;
  const scheduler = new Scheduler({
    tables: memoryTables,
    clock,
    logger: createLogger({ level: 'silent' }),
    engine,
    workflows: () => [workflow],
  });
  return { clock, started, scheduler, ticks: () => started.map((s) => s.scheduledAt) };
}

describe('the scheduler', () => {
  it('starts from the next tick when it first sees a workflow, then makes each tick once with its id', async () => {
    const { clock, started, scheduler, ticks } = setup('once');
    await scheduler.open();
    await scheduler.check();
    assert.deepEqual(ticks(), []);
    clock.advance(30_000);
    await scheduler.check();
    await scheduler.check();
    assert.deepEqual(ticks(), ['2026-12-07T10:01:00.000Z']);
    assert.equal(started[0].id, scheduledRunId('tick', Date.UTC(2026, 11, 7, 10, 1)));
    clock.advance(MIN);
    await scheduler.check();
    assert.deepEqual(ticks(), ['2026-12-07T10:01:00.000Z', '2026-12-07T10:02:00.000Z']);
  });

  it('missed: once runs only the latest of the ticks missed while down', async () => {
    const { clock, scheduler, ticks } = setup('once');
    await scheduler.open();
    await scheduler.check();
    clock.advance(5 * MIN);
    await scheduler.check();
    assert.deepEqual(ticks(), ['2026-12-07T10:05:00.000Z']);
  });

  it('missed: skip runs none of them, and the next tick on time', async () => {
    const { clock, scheduler, ticks } = setup('skip');
    await scheduler.open();
    await scheduler.check();
    // 10:05:31: the latest tick (10:05) is more than LATE_MS old.
    clock.advance(4 * MIN + 30_000 + LATE_MS + 1000);
    await scheduler.check();
    assert.deepEqual(ticks(), []);
    clock.advance(MIN - LATE_MS - 1000);
    await scheduler.check();
    assert.deepEqual(ticks(), ['2026-12-07T10:06:00.000Z']);
  });
});
