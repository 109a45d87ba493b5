import type pg from 'pg';
import type { EventBus } from '../../bus.ts';
import type { Database } from './database.ts';
import { EVENT_COLUMNS, type EventRow, eventFromRow } from './event-rows.ts';

export interface EventFeedOptions {
  db: Database;
  /** This instance's tag: its own events reach the bus through the event service, not through here. */
  instance: string;
  bus: EventBus;
  onError(error: unknown): void;
}

/** Ids per read when notifications arrive faster than they are loaded. */
const BATCH = 500;

/**
 * Cross-instance live fan-out: LISTEN on the events channel; each NOTIFY (sent on commit by the
 * inserting instance) names an event id; the event is loaded and published on the local bus, so SSE
 * and Socket.IO subscribers here see events ingested anywhere. Ids that arrive together are loaded in
 * one query and published in id order. A lost LISTEN connection is reported and not re-established
 * here: subscribers resume by cursor (see docs/deployment.md).
 */
export async function startEventFeed(options: EventFeedOptions): Promise<() => Promise<void>> {
  const { db, instance, bus, onError } = options;
  const client: pg.Client = db.client();
  const pending: string[] = [];
  let flushing: Promise<void> | null = null;
  let stopped = false;

  async function flush(): Promise<void> {
    while (pending.length > 0 && !stopped) {
      const ids = pending.splice(0, BATCH);
      const { rows } = await db.query<EventRow>(`SELECT ${EVENT_COLUMNS} FROM events WHERE id = ANY($1) ORDER BY id`, [ids]);
      for (const row of rows) bus.publishFromOtherInstance(eventFromRow(row));
    }
  }

  client.on('notification', (message) => {
    const [from, id] = (message.payload ?? '').split(' ');
    if (!id || from === instance) return;
    pending.push(id);
    flushing ??= flush()
      .catch(onError)
      .finally(() => {
        flushing = null;
      });
  });
  client.on('error', (error) => {
    if (!stopped) onError(error);
  });
  await client.connect();
  await client.query(`LISTEN "${db.channel}"`);
  return async () => {
    stopped = true;
    await flushing;
    await client.end().catch(() => {});
  };
}
