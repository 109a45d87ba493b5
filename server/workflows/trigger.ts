import type { EventBus } from '../bus.ts';
import type { Clock } from '../clock.ts';
import { idBefore, idFloor, idTime } from '../ids.ts';
import type { Logger } from '../ops/logger.ts';
import { anyTypeMatches } from '../store/match.ts';
import type { EventStore, RelayEvent } from '../store/types.ts';
import type { Workflow } from './definition.ts';
import type { RunEngine } from './engine.ts';
import type { RunStore } from './run-store.ts';

// Starts runs for stored events. Each (workflow, event) pair starts at most one run, so the same event
// seen twice (live, then again by the replay after a crash) does no harm. The cursor is saved lazily,
// and never past the event of a run not yet written (in one process a triggered run is first written
// when it reaches a step boundary): on start-up, events from a little before it are replayed from the
// event store.
//
// With several instances on one store, triggering is a led role: the leader hears the events every
// instance stores, owns the shared cursor, and replays from it when it gains the role (so events a
// leader that died had already acknowledged still start their runs). A run's id follows from its
// (workflow, event) pair, so a takeover overlap makes no run twice.

/** The cluster role that turns stored events into runs. */
export const TRIGGER_ROLE = 'workflows.trigger';

/** Replay starts this long before the cursor, for events published slightly out of id order. */
export const REPLAY_MARGIN_MS = 5_000;
const CURSOR_SAVE_MS = 1_000;
/**
 * With no workflow triggered by events, nothing depends on the cursor but how far a replay reaches
 * back: it is saved this seldom then, instead of a file rewrite every second of traffic.
 */
const IDLE_CURSOR_SAVE_MS = 60_000;

export function triggerMatches(workflow: Workflow, event: RelayEvent): boolean {
  const trigger = workflow.trigger;
  if (!trigger) return false;
  if (trigger.source && trigger.source !== event.source) return false;
  return anyTypeMatches(trigger.types, event.type);
}

export function chainDepthOf(event: RelayEvent): number {
  const depth = Number(event.headers['x-hookrelay-chain-depth'] ?? 0);
  return Number.isInteger(depth) && depth > 0 ? depth : 0;
}

export interface TriggerDeps {
  runs: RunStore;
  engine: RunEngine;
  store: EventStore;
  bus: EventBus;
  clock: Clock;
  logger: Logger;
}

export class Triggers {
  readonly #deps: TriggerDeps;
  readonly #workflows: () => Workflow[];
  readonly #starting = new Set<string>();
  readonly #inflight = new Set<Promise<void>>();
  #cursor: string | null;
  #savedCursor: string | null;
  #timer: { clear(): void } | null = null;
  #timerDue = 0;
  #unsubscribe: (() => void) | null = null;
  #leading = false;

  constructor(deps: TriggerDeps, workflows: () => Workflow[]) {
    this.#deps = deps;
    this.#workflows = workflows;
    this.#cursor = deps.runs.cursor();
    this.#savedCursor = this.#cursor;
  }

  get leading(): boolean {
    return this.#leading;
  }

  /**
   * Takes up the role: hears every instance's events from now on, then replays those stored since the
   * shared cursor (the previous leader's, or this instance's own before a restart). Resolves with the
   * number of events replayed.
   */
  async lead(): Promise<number> {
    this.#leading = true;
    this.#unsubscribe?.();
    this.#unsubscribe = this.#deps.bus.subscribe((event) => this.take(event), { everyInstance: true });
    await this.#deps.runs.refreshCursor();
    const stored = this.#deps.runs.cursor();
    if (!stored) {
      // A first start replays nothing, but leaves a cursor for the next leader to replay from.
      this.#cursor ??= idFloor('evt', this.#deps.clock.now());
      await this.flush();
      return 0;
    }
    if (!this.#cursor || stored > this.#cursor) this.#cursor = stored;
    this.#savedCursor = stored;
    return this.replay();
  }

  /** Gives up the role (another instance leads now): stops hearing events and saving the cursor. */
  follow(): void {
    this.#leading = false;
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    this.#timer?.clear();
    this.#timer = null;
  }

  /** On stop: hears no more events, waits for those being handled, saves the cursor if still leading. */
  async stop(): Promise<void> {
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    await this.drain();
  }

  /** For the bus: handles an event in the background, tracked so stop() can wait for it. */
  take(event: RelayEvent): void {
    const handling = this.handle(event).finally(() => this.#inflight.delete(handling));
    this.#inflight.add(handling);
  }

  /** Waits for events being handled, then saves the cursor (on stop). */
  async drain(): Promise<void> {
    while (this.#inflight.size > 0) await Promise.allSettled([...this.#inflight]);
    await this.flush();
  }

  /** Handles one stored event: starts a run for each workflow it triggers. */
  async handle(event: RelayEvent): Promise<void> {
    let triggered = false;
    for (const workflow of this.#workflows()) {
      if (workflow.trigger) triggered = true;
      if (!triggerMatches(workflow, event)) continue;
      const key = `${workflow.name}\u0000${event.id}`;
      if (this.#starting.has(key) || this.#deps.runs.triggeredBy(workflow.name, event.id)) continue;
      this.#starting.add(key);
      try {
        // `on.if` reads the event's fields directly (`payload.x`), or through `event.` like steps do.
        if (workflow.trigger?.condition && !(await workflow.trigger.condition({ ...event, event }))) continue;
        await this.#deps.engine.trigger(workflow, event, chainDepthOf(event));
      } catch (err) {
        this.#deps.logger.error({ err, workflow: workflow.name, event: event.id }, 'could not start a run');
      } finally {
        this.#starting.delete(key);
      }
    }
    if (!this.#cursor || event.id > this.#cursor) this.#cursor = event.id;
    if (this.leading) this.#scheduleCursorSave(triggered ? CURSOR_SAVE_MS : IDLE_CURSOR_SAVE_MS);
  }

  /**
   * Where a replay would start now: just before the saved cursor (null before the first save). The
   * runs of events after it must stay in the run store, or a restart would make them again.
   */
  replayFrom(): string | null {
    const cursor = this.#deps.runs.cursor();
    return cursor ? idBefore('evt', idTime(cursor) - REPLAY_MARGIN_MS) : null;
  }

  /** Replays stored events from just before the saved cursor; a first start replays nothing. */
  async replay(): Promise<number> {
    let after = this.replayFrom();
    if (after === null) return 0;
    let count = 0;
    for (;;) {
      const page = await this.#deps.store.list({ after, limit: 500 });
      for (const event of page.data) await this.handle(event);
      count += page.data.length;
      if (!page.has_more || !page.last_id) return count;
      after = page.last_id;
    }
  }

  /** Saves within `delay`; a save already due sooner stays, one due later is brought forward. */
  #scheduleCursorSave(delay: number): void {
    const due = this.#deps.clock.now() + delay;
    if (this.#timer && this.#timerDue <= due) return;
    this.#timer?.clear();
    this.#timerDue = due;
    this.#timer = this.#deps.clock.setTimeout(() => {
      this.#timer = null;
      void this.flush();
    }, delay);
  }

  async flush(): Promise<void> {
    this.#timer?.clear();
    this.#timer = null;
    // Not past a run that is shown but not yet written: a replay must still reach its event.
    const held = this.#deps.runs.oldestHeldTrigger();
    const cursor = held !== null && this.#cursor !== null && held < this.#cursor ? held : this.#cursor;
    // Only the leader writes the shared cursor (one that lost the role would move it under the next).
    if (!this.leading || !cursor || cursor === this.#savedCursor) return;
    try {
      await this.#deps.runs.saveCursor(cursor);
      this.#savedCursor = cursor;
    } catch (err) {
      this.#deps.logger.error({ err }, 'could not save the workflow trigger cursor');
    }
  }
}
