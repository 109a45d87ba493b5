import type pg from 'pg';
import type { Database } from './database.ts';

/** A NOTIFY payload on the cluster channel: rows of a table changed, or a message on a topic. */
export type Signal =
  | { k: 'rows'; from: string; table: string; ids: string[] }
  | { k: 'message'; from: string; topic: string; message: unknown };

/** NOTIFY payloads must stay under 8,000 bytes; ids are split into chunks below this. */
const MAX_PAYLOAD = 7000;
const MAX_RECONNECT_MS = 30_000;

/**
 * One LISTEN connection per instance for the cluster channel (row changes for table caches, messages
 * between instances). A lost connection is re-established (1 s, doubling up to 30 s); listeners are
 * then told to resynchronise, since notifications sent meanwhile are gone.
 */
export class Signals {
  readonly #db: Database;
  readonly channel: string;
  readonly #listeners = new Set<(signal: Signal) => void>();
  readonly #resync = new Set<() => void>();
  #client: pg.Client | null = null;
  #started: Promise<void> | null = null;
  #timer: NodeJS.Timeout | null = null;
  #retryMs = 1000;
  #stopped = false;

  constructor(db: Database) {
    this.#db = db;
    this.channel = db.schema ? `hookrelay_cluster_${db.schema}` : 'hookrelay_cluster';
  }

  /** Connects once; later calls share the first. */
  start(): Promise<void> {
    this.#started ??= this.#connect();
    return this.#started;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#client?.end().catch(() => {});
  }

  listen(listener: (signal: Signal) => void, onResync: () => void): () => void {
    this.#listeners.add(listener);
    this.#resync.add(onResync);
    return () => {
      this.#listeners.delete(listener);
      this.#resync.delete(onResync);
    };
  }

  /** Payloads announcing changed rows, each under the NOTIFY size limit. */
  static rowPayloads(from: string, table: string, ids: readonly string[]): string[] {
    const payloads: string[] = [];
    let chunk: string[] = [];
    let size = 0;
    const flush = () => {
      if (chunk.length > 0) payloads.push(JSON.stringify({ k: 'rows', from, table, ids: chunk } satisfies Signal));
      chunk = [];
      size = 0;
    };
    for (const id of ids) {
      if (size + id.length + 3 > MAX_PAYLOAD - table.length - 100) flush();
      chunk.push(id);
      size += id.length + 3;
    }
    flush();
    return payloads;
  }

  async #connect(): Promise<void> {
    const client = this.#db.client();
    client.on('notification', (notification) => {
      let signal: Signal;
      try {
        signal = JSON.parse(notification.payload ?? '') as Signal;
      } catch {
        return; // not ours
      }
      for (const listener of this.#listeners) listener(signal);
    });
    client.on('error', () => this.#lost(client));
    client.on('end', () => this.#lost(client));
    await client.connect();
    await client.query(`LISTEN "${this.channel}"`);
    this.#client = client;
  }

  #lost(client: pg.Client): void {
    if (this.#stopped || this.#client !== client) return;
    this.#client = null;
    client.end().catch(() => {});
    this.#timer = setTimeout(() => this.#reconnect(), this.#retryMs);
  }

  async #reconnect(): Promise<void> {
    if (this.#stopped) return;
    try {
      await this.#connect();
      this.#retryMs = 1000;
      for (const resync of this.#resync) resync();
    } catch {
      this.#retryMs = Math.min(this.#retryMs * 2, MAX_RECONNECT_MS);
      this.#timer = setTimeout(() => this.#reconnect(), this.#retryMs);
    }
  }
}
