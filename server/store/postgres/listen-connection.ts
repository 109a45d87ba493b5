import type pg from 'pg';

const MAX_RECONNECT_MS = 30_000;

export interface ListenOptions {
  /** A new connection outside the pool: LISTEN holds its connection for good. */
  connect(): pg.Client;
  channel: string;
  onNotification(payload: string): void;
  /** The connection is back after a loss: notifications sent meanwhile are gone, so re-read. */
  onReconnect(): void;
  /** A lost connection or a failed reconnect. */
  onError?(error: unknown): void;
  /** First wait before reconnecting; doubles up to 30 s. */
  reconnectMs?: number;
}

/** A dedicated connection that LISTENs on one channel and is re-established whenever it is lost. */
export class ListenConnection {
  readonly #options: ListenOptions;
  readonly #firstRetryMs: number;
  #client: pg.Client | null = null;
  #timer: NodeJS.Timeout | null = null;
  #retryMs: number;
  #stopped = false;

  constructor(options: ListenOptions) {
    this.#options = options;
    this.#firstRetryMs = options.reconnectMs ?? 1000;
    this.#retryMs = this.#firstRetryMs;
  }

  /** Connects and listens; rejects if the first connection fails. */
  start(): Promise<void> {
    return this.#connect();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#client?.end().catch(() => {});
  }

  async #connect(): Promise<void> {
    const client = this.#options.connect();
    client.on('notification', (message) => this.#options.onNotification(message.payload ?? ''));
    client.on('error', (error) => this.#lost(client, error));
    client.on('end', () => this.#lost(client, null));
    await client.connect();
    await client.query(`LISTEN "${this.#options.channel}"`);
    this.#client = client;
  }

  #lost(client: pg.Client, error: Error | null): void {
    if (this.#stopped || this.#client !== client) return;
    this.#client = null;
    this.#options.onError?.(error ?? new Error('the LISTEN connection to PostgreSQL ended'));
    client.end().catch(() => {});
    this.#timer = setTimeout(() => this.#reconnect(), this.#retryMs);
  }

  async #reconnect(): Promise<void> {
    if (this.#stopped) return;
    try {
      await this.#connect();
      this.#retryMs = this.#firstRetryMs;
      this.#options.onReconnect();
    } catch (error) {
      this.#options.onError?.(error);
      this.#retryMs = Math.min(this.#retryMs * 2, MAX_RECONNECT_MS);
      this.#timer = setTimeout(() => this.#reconnect(), this.#retryMs);
    }
  }
}
