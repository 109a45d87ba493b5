import { buildEvent } from '../build-event.ts';
import { randomBytes } from 'node:crypto';
import { StoreUnavailableError } from '../../errors.ts';
import { createIdFactory, type IdFactory } from '../../ids.ts';
import type {
  AppendResult,
  EventPage,
  EventQuery,
  EventStore,
  NewEvent,
  RawBody,
  Rejection,
  RelayEvent,
  RetentionPolicy,
} from '../types.ts';
import type { Database } from './database.ts';
import { EVENT_COLUMNS, type EventRow, eventFromRow, listStatement, textValue } from './event-rows.ts';
import { InsertBatcher } from './insert-batcher.ts';
import { RawReadBatcher } from './raw-reads.ts';
import { RecentBodies } from './recent-bodies.ts';
import { ageFloor, RetentionSweeper } from './retention.ts';

export interface PostgresEventStoreOptions {
  db: Database;
  retention: RetentionPolicy;
  now?: () => number;
  newId?: IdFactory;
  maxRejections?: number;
  /** Tags this instance's NOTIFY messages, so its own live feed can skip them. */
  instance?: string;
}

/** Retention deletes at most this long after the fact on a quiet relay (reads hide expired rows at once). */
const QUIET_SWEEP_MS = 60_000;

/**
 * Events in PostgreSQL, shared by every relay instance on the database. De-duplication is the unique
 * index on (source, provider_id); ids are made here (time-ordered) and acknowledged in id order within
 * this instance. See docs/deployment.md for what ordering holds across instances.
 */
export class PostgresEventStore implements EventStore {
  readonly instance: string;
  readonly #db: Database;
  readonly #retention: RetentionPolicy;
  readonly #now: () => number;
  readonly #newId: IdFactory;
  readonly #maxRejections: number;
  readonly #sweeper: RetentionSweeper;
  readonly #inserts: InsertBatcher;
  readonly #rawReads: RawReadBatcher;
  readonly #recentBodies: RecentBodies;
  /** Sweep after this many appends: about 1% of maxEvents over the bound at most, per instance. */
  readonly #sweepEvery: number;
  #appendsSinceSweep = 0;
  #lastAck: Promise<unknown> = Promise.resolve();
  #timer: NodeJS.Timeout | null = null;
  #state: 'new' | 'open' | 'closed' = 'new';

  constructor(options: PostgresEventStoreOptions) {
    this.#db = options.db;
    this.#retention = options.retention;
    this.#now = options.now ?? Date.now;
    this.#newId = options.newId ?? createIdFactory(this.#now);
    this.#maxRejections = options.maxRejections ?? 1000;
    this.instance = options.instance ?? randomBytes(6).toString('hex');
    // A hundredth of what retention keeps at most: a remembered body is among the newest events by far.
    this.#recentBodies = new RecentBodies(Math.min(1000, Math.floor(this.#retention.maxEvents / 100)));
    this.#sweeper = new RetentionSweeper(this.#db, this.#retention, this.#now, (id) => this.#recentBodies.forgetThrough(id));
    this.#inserts = new InsertBatcher(this.#db, this.instance);
    this.#rawReads = new RawReadBatcher(this.#db, () => this.#floor());
    this.#sweepEvery = Math.max(1, Math.floor(this.#retention.maxEvents / 100));
  }

  async open(): Promise<void> {
    if (this.#state !== 'new') return;
    await this.#db.open();
    this.#state = 'open';
    this.#sweeper.request();
    this.#timer = setInterval(() => this.#sweeper.request(), QUIET_SWEEP_MS);
    this.#timer.unref();
  }

  async append(input: NewEvent): Promise<AppendResult> {
    if (this.#state !== 'open') throw new StoreUnavailableError('The event store is not open.');
    const event = this.#build(input); // the id is made now, so ids follow call order
    const inserted = this.#insert(event, input);
    const before = this.#lastAck;
    this.#lastAck = inserted.catch(() => {});
    const result = await inserted;
    await before; // acknowledge (and publish) in id order, as the file store does
    if (!result.duplicate) {
      this.#recentBodies.remember(event.id, {
        raw: input.raw,
        content_type: input.content_type,
        client_ip: input.client_ip ?? null,
      });
    }
    if (!result.duplicate && ++this.#appendsSinceSweep >= this.#sweepEvery) {
      this.#appendsSinceSweep = 0;
      this.#sweeper.request();
    }
    return result;
  }

  async #insert(event: RelayEvent, input: NewEvent): Promise<AppendResult> {
    // A first event that retention deletes between our conflict and our read is simply gone: try again.
    for (let attempt = 0; attempt < 3; attempt++) {
      if (await this.#inserts.insert({ event, input })) return { event, duplicate: false };
      const { rows } = await this.#db.query<EventRow>(
        `SELECT ${EVENT_COLUMNS} FROM events WHERE source = $1 AND provider_id = $2`,
        [input.source, textValue(input.provider_id ?? '')],
      );
      if (rows[0]) return { event: eventFromRow(rows[0]), duplicate: true };
    }
    throw new StoreUnavailableError('The event could not be stored; try again.');
  }

  #build(input: NewEvent): RelayEvent {
    return buildEvent(input, this.#newId);
  }

  /** Reads wait for a running sweep, and hide rows past the age limit that no sweep has deleted yet. */
  async #floor(): Promise<string> {
    await this.#sweeper.settled();
    return ageFloor(this.#retention, this.#now());
  }

  async get(id: string): Promise<RelayEvent | undefined> {
    const { rows } = await this.#db.query<EventRow>(`SELECT ${EVENT_COLUMNS} FROM events WHERE id = $1 AND id >= $2`, [
      id,
      await this.#floor(),
    ]);
    return rows[0] && eventFromRow(rows[0]);
  }

  /** A body this instance stored moments ago comes from memory (a new event's deliveries read it at once). */
  async getRaw(id: string): Promise<RawBody | undefined> {
    const floor = await this.#floor();
    const recent = this.#recentBodies.get(id, this.#now());
    if (recent) return id >= floor ? recent : undefined;
    return this.#rawReads.read(id);
  }

  async list(query: EventQuery): Promise<EventPage> {
    const { text, values } = listStatement(query, await this.#floor());
    const { rows } = await this.#db.query<EventRow>(text, values);
    const data = rows.slice(0, query.limit).map(eventFromRow);
    if (query.tail) data.reverse();
    return { data, has_more: rows.length > query.limit, last_id: data.at(-1)?.id ?? null };
  }

  async oldestId(): Promise<string | null> {
    const { rows } = await this.#db.query<{ id: string }>('SELECT id FROM events WHERE id >= $1 ORDER BY id LIMIT 1', [
      await this.#floor(),
    ]);
    return rows[0]?.id ?? null;
  }

  async count(): Promise<number> {
    const { rows } = await this.#db.query<{ n: string }>('SELECT count(*) AS n FROM events WHERE id >= $1', [
      await this.#floor(),
    ]);
    return Number(rows[0]?.n ?? 0);
  }

  async countBySource(after: string): Promise<Record<string, number>> {
    const floor = await this.#floor();
    const { rows } = await this.#db.query<{ source: string; n: string }>(
      'SELECT source, count(*) AS n FROM events WHERE id > $1 AND id >= $2 GROUP BY source',
      [after, floor],
    );
    return Object.fromEntries(rows.map((row) => [row.source, Number(row.n)]));
  }

  async recordRejection(r: Rejection): Promise<void> {
    if (this.#state !== 'open') return;
    const { rows } = await this.#db.query<{ seq: string }>(
      'INSERT INTO rejections (at, source, status, code, ip, headers) VALUES ($1, $2, $3, $4, $5, $6::json) RETURNING seq',
      [r.at, r.source, r.status, r.code, r.ip, JSON.stringify(r.headers)],
    );
    // Bounded by sequence number: one primary-key range delete, however many instances write.
    await this.#db.query('DELETE FROM rejections WHERE seq <= $1', [Number(rows[0].seq) - this.#maxRejections]);
  }

  async listRejections(query: { source?: string; limit: number }): Promise<Rejection[]> {
    const bySource = query.source ? 'WHERE source = $2' : '';
    const { rows } = await this.#db.query<Rejection>(
      `SELECT at, source, status, code, ip, headers FROM rejections ${bySource} ORDER BY seq DESC LIMIT $1`,
      query.source ? [query.limit, query.source] : [query.limit],
    );
    return rows;
  }

  async writable(): Promise<boolean> {
    if (this.#state !== 'open') return false;
    try {
      const { rows } = await this.#db.query<{ ok: boolean }>('SELECT NOT pg_is_in_recovery() AS ok');
      return rows[0]?.ok === true;
    } catch {
      return false;
    }
  }

  /** Lets acknowledged appends and a running sweep finish, then ends the pool. Idempotent. */
  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    const wasOpen = this.#state === 'open';
    this.#state = 'closed';
    if (this.#timer) clearInterval(this.#timer);
    if (wasOpen) {
      await this.#lastAck;
      await this.#sweeper.settled();
    }
    await this.#db.close();
  }
}
