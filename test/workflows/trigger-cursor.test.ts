import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createEventBus } from '../../server/bus.ts';
import { createIdFactory } from '../../server/ids.ts';
import { createLogger } from '../../server/ops/logger.ts';
import { memoryTables } from '../../server/store/memory-table.ts';
import type { EventStore, RelayEvent } from '../../server/store/types.ts';
import type { Workflow } from '../../server/workflows/definition.ts';
import type { RunEngine } from '../../server/workflows/engine.ts';
import { TableRunStore } from '../../server/workflows/run-store.ts';
import { Triggers } from '../../server/workflows/trigger.ts';
import { FakeClock } from '../helpers/fake-clock.ts';
import { nextEvent } from '../helpers/relay-event.ts';
import { waitFor } from '../helpers/wait.ts';

describe('the workflow trigger cursor', () => {
  it('is saved once a minute while no workflow has an event trigger, and within a second once one has', async () => {
    const clock = new FakeClock();
    const newId = createIdFactory(() => clock.now());
    const runs = new TableRunStore(memoryTables);
    await runs.open();
    let workflows: Workflow[] = [];
    // No event below matches a trigger, so no run is started: only the cursor is under test.
    const engine = {
      trigger: async () => assert.fail('no workflow matches these events'),
    } as unknown as RunEngine;
    const store = { list: async () => ({ data: [], has_more: false, last_id: null }) } as unknown as EventStore;
    const triggers = new Triggers(
      { runs, engine, store, bus: createEventBus(() => {}), clock, logger: createLogger({ level: 'silent' }) },
      () => workflows,
    );
    await triggers.lead();
    const first = runs.cursor();
    assert.ok(first, 'a first start leaves a cursor');
    const event = (): RelayEvent => nextEvent(clock, newId);

    const quiet = event();
    await triggers.handle(quiet);
    clock.advance(5_000);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(runs.cursor(), first, 'saved within seconds though no workflow has an event trigger');
    clock.advance(60_000);
    await waitFor('the once-a-minute save', () => runs.cursor() === quiet.id);

    workflows = [{ name: 'elsewhere', trigger: { source: 'other', types: undefined } } as unknown as Workflow];
    const busy = event();
    await triggers.handle(busy);
    clock.advance(1_000);
    await waitFor('the save within a second', () => runs.cursor() === busy.id);
    await triggers.stop();
  });
});
