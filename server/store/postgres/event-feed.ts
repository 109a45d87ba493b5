import type pg from 'pg';
import type { EventBus } from '../../bus.ts';
import { idFloor, idTime } from '../../ids.ts';
import type { Database } from './database.ts';
import { EVENT_COLUMNS, type EventRow, eventFromRow } from './event-rows.ts';
import { RecentIds } from './recent-ids.ts';

export interface EventFeedOptions {
  db: Database;
  /** This instance's tag: its own events reach the bus through the event service, not through here. */
  instance: string;
  bus: EventBus;
  onError(error: unknown): void;
  /** First wait before reconnecting a lost LISTEN connection; doubles up to 30 s. */
  reconnectMs?: number;
}

/** Ids per read when notifications arrive faster than they are loaded, and per catch-up page. */
const BATCH = 500;
const MAX_RECONNECT_MS = 30_000;
/**
 * After a reconnect, read back this far before the newest event seen: another instance may commit an
 * event a little after a later-id one (ids are made before the commit), and the recent-id set keeps
 * what was already published from going out twice.
 */
const CATCH_UP_MARGIN_MS = 5000;

/**
 * Cross-instance live fan-out: LISTEN on the events channel; each NOTIFY (sent on commit by the
 * inserting instance) names an event id; the event is loaded and published on the local bus for the
 * listeners that want every instance's events. Ids that arrive together are loaded in one query and
 * published in id order. When the LISTEN connection is lost it is re-established, and the events other
 * instances stored after the newest one seen are read from the table, so none is skipped.
 */
export async function startEventFeed(options: EventFeedOptions): Promise<() => Promise<void>> {
  const { db, instance, bus, onError } = options;
  const published = new RecentIds(10_000);
  const pending: string[] = [];
  let newest = '';
  let client: pg.Client | null = null;
  let work: Promise<void> = Promise.resolve();
  let retryMs = options.reconnectMs ?? 1000;
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;

  function publish(rows: EventRow[]): void {
    for (const row of rows) {
      if (stopped || !published.add(row.id)) continue;
      if (row.id > newest) newest = row.id;
      bus.publishFromOtherInstance(eventFromRow(row));
    }
  }
  /** Loads and publishes in order, one step after another. */
  function enqueue(step: () => Promise<void>): void {
    work = work.then(step).catch(onError);
  }
  async function loadPending(): Promise<void> {
    while (pending.length > 0 && !stopped) {
      const ids = pending.splice(0, BATCH);
      const { rows } = await db.query<EventRow>(`SELECT ${EVENT_COLUMNS} FROM events WHERE id = ANY($1) ORDER BY id`, [ids]);
      publish(rows);
    }
  }
  async function readMissed(): Promise<void> {
    let after = idFloor('evt', idTime(newest) - CATCH_UP_MARGIN_MS);
    for (;;) {
      const { rows } = await db.query<EventRow>(
        `SELECT ${EVENT_COLUMNS} FROM events WHERE id > $1 AND stored_by <> $2 ORDER BY id LIMIT ${BATCH}`,
        [after, instance],
      );
      publish(rows);
      if (rows.length < BATCH || stopped) return;
      after = rows[rows.length - 1].id;
    }
  }

  async function connect(): Promise<void> {
    const next = db.client();
    next.on('notification', (message) => {
      const [from, id] = (message.payload ?? '').split(' ');
      if (!id || from === instance) return;
      if (pending.push(id) === 1) enqueue(loadPending);
    });
    next.on('error', (error) => lost(next, error));
    next.on('end', () => lost(next, null));
    await next.connect();
    await next.query(`LISTEN "${db.channel}"`);
    client = next;
  }
  function lost(which: pg.Client, error: Error | null): void {
    if (stopped || client !== which) return;
    client = null;
    onError(error ?? new Error('the LISTEN connection to PostgreSQL ended'));
    which.end().catch(() => {});
    timer = setTimeout(reconnect, retryMs);
  }
  async function reconnect(): Promise<void> {
    if (stopped) return;
    try {
      await connect();
      retryMs = options.reconnectMs ?? 1000;
      if (newest) enqueue(readMissed);
    } catch (error) {
      onError(error);
      retryMs = Math.min(retryMs * 2, MAX_RECONNECT_MS);
      timer = setTimeout(reconnect, retryMs);
    }
  }

  await connect();
  // Events stored before this instance listened are history (read them by cursor), not live.
  const { rows } = await db.query<{ id: string }>('SELECT max(id) AS id FROM events');
  newest = rows[0]?.id ?? '';
  return async () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    await work;
    await client?.end().catch(() => {});
  };
}
