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
export class EventFeed {
  readonly #options: EventFeedOptions;
  readonly #published = new RecentIds(10_000);
  readonly #pending: string[] = [];
  #newest = '';
  #client: pg.Client | null = null;
  #work: Promise<void> = Promise.resolve();
  #retryMs: number;
  #timer: NodeJS.Timeout | null = null;
  #stopped = false;

  constructor(options: EventFeedOptions) {
    this.#options = options;
    this.#retryMs = options.reconnectMs ?? 1000;
  }

  async start(): Promise<void> {
    await this.#connect();
    // Events stored before this instance listened are history (read them by cursor), not live.
    const { rows } = await this.#options.db.query<{ id: string | null }>('SELECT max(id) AS id FROM events');
    this.#newest = rows[0]?.id ?? '';
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#work;
    await this.#client?.end().catch(() => {});
  }

  #publish(rows: EventRow[]): void {
    for (const row of rows) {
      if (this.#stopped || !this.#published.add(row.id)) continue;
      if (row.id > this.#newest) this.#newest = row.id;
      this.#options.bus.publishFromOtherInstance(eventFromRow(row));
    }
  }

  /** Loads and publishes one step after another, so batches go out in the order they came. */
  #enqueue(step: () => Promise<void>): void {
    this.#work = this.#work.then(step).catch(this.#options.onError);
  }

  async #loadPending(): Promise<void> {
    while (this.#pending.length > 0 && !this.#stopped) {
      const ids = this.#pending.splice(0, BATCH);
      const { rows } = await this.#options.db.query<EventRow>(
        `SELECT ${EVENT_COLUMNS} FROM events WHERE id = ANY($1) ORDER BY id`,
        [ids],
      );
      this.#publish(rows);
    }
  }

  async #readMissed(): Promise<void> {
    let after = idFloor('evt', idTime(this.#newest) - CATCH_UP_MARGIN_MS);
    while (!this.#stopped) {
      const { rows } = await this.#options.db.query<EventRow>(
        `SELECT ${EVENT_COLUMNS} FROM events WHERE id > $1 AND stored_by <> $2 ORDER BY id LIMIT ${BATCH}`,
        [after, this.#options.instance],
      );
      this.#publish(rows);
      if (rows.length < BATCH) return;
      after = rows[rows.length - 1].id;
    }
  }

  async #connect(): Promise<void> {
    const client = this.#options.db.client();
    client.on('notification', (message) => {
      const [from, id] = (message.payload ?? '').split(' ');
      if (!id || from === this.#options.instance) return;
      if (this.#pending.push(id) === 1) this.#enqueue(() => this.#loadPending());
    });
    client.on('error', (error) => this.#lost(client, error));
    client.on('end', () => this.#lost(client, null));
    await client.connect();
    await client.query(`LISTEN "${this.#options.db.channel}"`);
    this.#client = client;
  }

  #lost(client: pg.Client, error: Error | null): void {
    if (this.#stopped || this.#client !== client) return;
    this.#client = null;
    this.#options.onError(error ?? new Error('the LISTEN connection to PostgreSQL ended'));
    client.end().catch(() => {});
    this.#timer = setTimeout(() => this.#reconnect(), this.#retryMs);
  }

  async #reconnect(): Promise<void> {
    if (this.#stopped) return;
    try {
      await this.#connect();
      this.#retryMs = this.#options.reconnectMs ?? 1000;
      if (this.#newest) this.#enqueue(() => this.#readMissed());
    } catch (error) {
      this.#options.onError(error);
      this.#retryMs = Math.min(this.#retryMs * 2, MAX_RECONNECT_MS);
      this.#timer = setTimeout(() => this.#reconnect(), this.#retryMs);
    }
  }
}
