import type { Clock } from '../clock.ts';
import { idFloor } from '../ids.ts';
import type { Logger } from '../ops/logger.ts';
import type { Table, TableFactory } from '../store/table.ts';
import type { Workflow } from './definition.ts';
import type { RunEngine } from './engine.ts';
import { triggeredRunId } from './run-store.ts';

// Scheduled runs (`on: { schedule }`), made by the instance that leads triggering. Each tick's run has
// an id that follows from the workflow and the tick, and the last tick made is saved per workflow: so a
// tick makes one run across restarts and across instances (two leaders overlapping for a moment make
// the same run id, and the store's insert decides). Ticks missed while no relay ran: the latest one
// runs once (`missed: once`, the default) or none does (`missed: skip`).

type TickRow = { id: string; last_tick: string };

/** Checked at least this often while leading. */
const CHECK_MS = 1000;
/** A tick found later than this after it fell counts as missed (the relay was down or stalled). */
export const LATE_MS = 30_000;

export interface SchedulerDeps {
  tables: TableFactory;
  clock: Clock;
  logger: Logger;
  engine: RunEngine;
  workflows(): Workflow[];
}

/** The run of a workflow's tick: the same id on every instance. */
export function scheduledRunId(workflow: string, tickMs: number): string {
  return triggeredRunId(workflow, idFloor('tick', tickMs));
}

export class Scheduler {
  readonly #deps: SchedulerDeps;
  readonly #ticks: Table<TickRow>;
  #timer: { clear(): void } | null = null;
  #leading = false;
  #checking: Promise<void> = Promise.resolve();

  constructor(deps: SchedulerDeps) {
    this.#deps = deps;
    this.#ticks = deps.tables.table<TickRow>('workflow_schedules', 'small');
  }

  open(): Promise<void> {
    return this.#ticks.open();
  }

  async close(): Promise<void> {
    this.follow();
    await this.#checking;
    await this.#ticks.close();
  }

  /** Starts making scheduled runs (this instance leads triggering); first the ticks missed meanwhile. */
  async lead(): Promise<void> {
    this.#leading = true;
    await this.#ticks.refresh(this.#scheduled().map((w) => w.name));
    this.#loop();
  }

  follow(): void {
    this.#leading = false;
    this.#timer?.clear();
    this.#timer = null;
  }

  #scheduled(): Workflow[] {
    return this.#deps.workflows().filter((w) => w.schedule !== null);
  }

  #loop(): void {
    if (!this.#leading) return;
    this.#checking = this.check()
      .catch((err: unknown) => this.#deps.logger.error({ err }, 'making scheduled runs failed'))
      .finally(() => {
        if (!this.#leading) return;
        const now = this.#deps.clock.now();
        const due = this.#scheduled().map((w) => (w.schedule?.next(now) ?? Number.POSITIVE_INFINITY) - now);
        const wait = Math.max(5, Math.min(CHECK_MS, ...due));
        this.#timer = this.#deps.clock.setTimeout(() => this.#loop(), wait);
      });
  }

  /**
   * Makes the run of each workflow's latest tick if it is new (called by the leader's loop; a check
   * that overlaps the next leader's makes the same run ids, so no tick runs twice).
   */
  async check(): Promise<void> {
    for (const workflow of this.#scheduled()) {
      const schedule = workflow.schedule;
      const now = this.#deps.clock.now();
      const tick = schedule?.latest(now) ?? null;
      if (!schedule || tick === null) continue;
      const row = this.#ticks.get(workflow.name);
      // First seen: runs start from its next tick.
      if (!row) {
        await this.#save(workflow.name, tick);
        continue;
      }
      if (tick <= Date.parse(row.last_tick)) continue;
      const late = now - tick > LATE_MS;
      if (!(late && schedule.missed === 'skip')) {
        if (late)
          this.#deps.logger.info(
            { workflow: workflow.name, tick: new Date(tick).toISOString() },
            'running a missed scheduled tick once',
          );
        await this.#deps.engine.start(workflow, {
          id: scheduledRunId(workflow.name, tick),
          scheduledAt: new Date(tick).toISOString(),
        });
      }
      await this.#save(workflow.name, tick);
    }
  }

  #save(name: string, tick: number): Promise<void> {
    return this.#ticks.put({ id: name, last_tick: new Date(tick).toISOString() });
  }
}
