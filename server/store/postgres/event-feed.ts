import { idFloor, idTime } from '../../ids.ts';
import type { Database } from './database.ts';
import { EVENT_COLUMNS, type EventRow, eventFromRow, readEventNotice } from './event-rows.ts';
import { ListenConnection } from './listen-connection.ts';
import { RecentIds } from './recent-ids.ts';
import type { OtherInstancesBus, RelayEvent } from '../types.ts';

export interface EventFeedOptions {
  db: Database;
  /** This instance's tag: its own events reach the bus through the event service, not through here. */
  instance: string;
  bus: OtherInstancesBus;
  onError(error: unknown): void;
  /** First wait before reconnecting a lost LISTEN connection; doubles up to 30 s. */
  reconnectMs?: number;
}

/** Ids per read when notifications arrive faster than they are loaded, and per catch-up page. */
const BATCH = 500;
/**
 * After a reconnect, read back this far before the newest event seen: another instance may commit an
 * event a little after a later-id one (ids are made before the commit), and the recent-id set keeps
 * what was already published from going out twice.
 */
const CATCH_UP_MARGIN_MS = 5000;

/**
 * Cross-instance live fan-out: LISTEN on the events channel; each NOTIFY (sent on commit by the
 * inserting instance) names an event id and, when it fits, carries the event itself; an event it does
 * not carry is loaded. Each is published on the local bus for the listeners that want every
 * instance's events. Events whose notices arrive together are published in id order, those to load
 * read in one query. When the LISTEN connection is lost it is re-established, and the events other
 * instances stored after the newest one seen are read from the table, so none is skipped.
 */
export class EventFeed {
  readonly #options: EventFeedOptions;
  readonly #published = new RecentIds(10_000);
  /** Notices waiting to be published: the id, and the event's JSON when the notice carried it. */
  readonly #pending: Array<{ id: string; json?: string }> = [];
  readonly #connection: ListenConnection;
  #newest = '';
  #work: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(options: EventFeedOptions) {
    this.#options = options;
    this.#connection = new ListenConnection({
      connect: () => options.db.client(),
      channel: options.db.channel,
      reconnectMs: options.reconnectMs,
      onError: options.onError,
      onNotification: (payload) => {
        const notice = readEventNotice(payload);
        if (!notice || notice.from === options.instance) return;
        if (this.#pending.push(notice) === 1) this.#enqueue(() => this.#loadPending());
      },
      onReconnect: () => {
        if (this.#newest) this.#enqueue(() => this.#readMissed());
      },
    });
  }

  async start(): Promise<void> {
    await this.#connection.start();
    // Events stored before this instance listened are history (read them by cursor), not live.
    const { rows } = await this.#options.db.query<{ id: string | null }>('SELECT max(id) AS id FROM events');
    this.#newest = rows[0]?.id ?? '';
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    const ended = this.#connection.stop();
    await this.#work;
    await ended;
  }

  #publish(events: RelayEvent[]): void {
    for (const event of events) {
      if (this.#stopped || !this.#published.add(event.id)) continue;
      if (event.id > this.#newest) this.#newest = event.id;
      this.#options.bus.publishFromOtherInstance(event);
    }
  }

  /** Loads and publishes one step after another, so batches go out in the order they came. */
  #enqueue(step: () => Promise<void>): void {
    this.#work = this.#work.then(step).catch(this.#options.onError);
  }

  async #loadPending(): Promise<void> {
    while (this.#pending.length > 0 && !this.#stopped) {
      const batch = this.#pending.splice(0, BATCH);
      const events: RelayEvent[] = [];
      const ids: string[] = [];
      for (const notice of batch) {
        const event = notice.json === undefined ? undefined : parseEvent(notice.json);
        if (event) events.push(event);
        else ids.push(notice.id);
      }
      if (ids.length > 0) {
        const { rows } = await this.#options.db.query<EventRow>(`SELECT ${EVENT_COLUMNS} FROM events WHERE id = ANY($1)`, [ids]);
        for (const row of rows) events.push(eventFromRow(row));
      }
      this.#publish(events.sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0)));
    }
  }

  async #readMissed(): Promise<void> {
    let after = idFloor('evt', idTime(this.#newest) - CATCH_UP_MARGIN_MS);
    while (!this.#stopped) {
      const { rows } = await this.#options.db.query<EventRow>(
        `SELECT ${EVENT_COLUMNS} FROM events WHERE id > $1 AND stored_by <> $2 ORDER BY id LIMIT ${BATCH}`,
        [after, this.#options.instance],
      );
      this.#publish(rows.map(eventFromRow));
      if (rows.length < BATCH) return;
      after = rows[rows.length - 1].id;
    }
  }
}

/** The event a notice carries; one that does not parse is read from its row instead. */
function parseEvent(json: string): RelayEvent | undefined {
  try {
    return JSON.parse(json) as RelayEvent;
  } catch {
    return undefined;
  }
}
