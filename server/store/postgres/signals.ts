import type pg from 'pg';
import { ListenConnection } from './listen-connection.ts';

/** A NOTIFY payload on the cluster channel: rows of a table changed, or a message on a topic. */
export type Signal =
  | { k: 'rows'; from: string; table: string; ids: string[] }
  | { k: 'message'; from: string; topic: string; message: unknown };

/** NOTIFY payloads must stay under 8,000 bytes; ids are split into chunks below this. */
const MAX_PAYLOAD = 7000;

/**
 * One LISTEN connection per instance for the cluster channel (row changes for table caches, messages
 * between instances). A lost connection is re-established (1 s, doubling up to 30 s); listeners are
 * then told to resynchronise, since notifications sent meanwhile are gone.
 */
export class Signals {
  readonly channel: string;
  readonly #listeners = new Set<(signal: Signal) => void>();
  readonly #resync = new Set<() => void>();
  readonly #connection: ListenConnection;
  #started: Promise<void> | null = null;

  constructor(options: { channel: string; connect(): pg.Client }) {
    this.channel = options.channel;
    this.#connection = new ListenConnection({
      connect: options.connect,
      channel: this.channel,
      onNotification: (payload) => this.#dispatch(payload),
      onReconnect: () => {
        for (const resync of this.#resync) resync();
      },
    });
  }

  /** Connects once; later calls share the first. */
  start(): Promise<void> {
    this.#started ??= this.#connection.start();
    return this.#started;
  }

  stop(): Promise<void> {
    return this.#connection.stop();
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
    const chunks: string[][] = [];
    for (const [i, chunk] of Signals.rowChunks(table, ids).entries()) {
      if (chunk === chunks.length) chunks.push([]);
      chunks[chunk].push(ids[i]);
    }
    return chunks.map((chunk) => JSON.stringify({ k: 'rows', from, table, ids: chunk } satisfies Signal));
  }

  /**
   * The payload each id goes in (0, 1, ...), so that every payload stays under the NOTIFY size limit;
   * for statements that build the payloads themselves from the ids they wrote.
   */
  static rowChunks(table: string, ids: readonly string[]): number[] {
    const chunks: number[] = [];
    let chunk = 0;
    let size = 0;
    for (const id of ids) {
      if (size > 0 && size + id.length + 3 > MAX_PAYLOAD - table.length - 100) {
        chunk++;
        size = 0;
      }
      chunks.push(chunk);
      size += id.length + 3;
    }
    return chunks;
  }

  #dispatch(payload: string): void {
    let signal: Signal;
    try {
      signal = JSON.parse(payload) as Signal;
    } catch {
      return; // not ours
    }
    for (const listener of this.#listeners) listener(signal);
  }
}
