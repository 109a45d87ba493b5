import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { StoreUnavailableError } from '../../errors.ts';
import { migrate } from './migrations.ts';
import { type Signal, Signals } from './signals.ts';

export interface DatabaseOptions {
  url: string;
  /** Schema for the relay's tables; created if missing. Default: the role's search_path. */
  schema?: string;
  /** Pool size per instance: ingest, reads and retention share it; LISTEN takes one more. */
  maxConnections?: number;
  /** This instance's tag (default: random). */
  instance?: string;
}

/**
 * One connection pool per relay instance, shared by the event store, the tables and the live feed.
 * Migrations run once, on the first open(); close() ends the pool.
 */
export class Database {
  readonly pool: pg.Pool;
  readonly schema: string | undefined;
  /** NOTIFY channel for new events: per schema, so relays on other schemas of one database stay apart. */
  readonly channel: string;
  /** This process's tag on the rows and notifications it writes. */
  readonly instance: string;
  /** The cluster channel (table row changes, messages between instances); connected on first use. */
  readonly signals: Signals;
  /**
   * Other live instances on this schema, as of this instance's last heartbeat (unknown until then):
   * with none, a new event's notice names it without carrying it (an instance that starts meanwhile
   * reads the row, as for an event too large to carry).
   */
  otherInstances = Number.POSITIVE_INFINITY;
  readonly #url: string;
  #ready: Promise<void> | null = null;
  #closed = false;
  readonly #beforeClose: Array<() => Promise<void>> = [];

  constructor(options: DatabaseOptions) {
    if (options.schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(options.schema)) {
      throw new Error(`not a plain schema name: ${options.schema}`);
    }
    this.#url = options.url;
    this.schema = options.schema;
    this.channel = options.schema ? `hookrelay_events_${options.schema}` : 'hookrelay_events';
    this.instance = options.instance ?? randomBytes(6).toString('hex');
    this.signals = new Signals({
      channel: options.schema ? `hookrelay_cluster_${options.schema}` : 'hookrelay_cluster',
      connect: () => this.client(),
    });
    // A database that does not answer fails a connection attempt after 5 s instead of hanging ingest.
    this.pool = new pg.Pool({ ...this.#connection(), max: options.maxConnections ?? 10, connectionTimeoutMillis: 5000 });
    // An idle client that loses its server is replaced by the pool; without a listener it would crash us.
    this.pool.on('error', () => {});
  }

  #connection(): pg.ClientConfig {
    const config: pg.ClientConfig = { connectionString: this.#url, application_name: 'hookrelay' };
    if (this.schema) config.options = `-c search_path=${this.schema}`;
    return config;
  }

  /** A connection outside the pool (for LISTEN, which holds its connection for good). */
  client(): pg.Client {
    return new pg.Client(this.#connection());
  }

  /** Runs pending migrations once; later calls share the same promise. */
  open(): Promise<void> {
    this.#ready ??= migrate(this.pool, this.schema);
    return this.#ready;
  }

  /**
   * Opens the database (see open), connects the cluster channel once per instance and listens on it:
   * `onResync` runs after a lost channel is back, since the signals sent meanwhile are gone.
   */
  async listenToSignals(listener: (signal: Signal) => void, onResync: () => void): Promise<() => void> {
    await this.open();
    await this.signals.start();
    return this.signals.listen(listener, onResync);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * `name` prepares the statement once per connection (each use then sends only its values). Only for
   * statements whose plan cannot go wrong when reused: PostgreSQL switches a prepared statement to a
   * generic plan after five uses, which made the table re-reads four times slower when they were
   * prepared (docs/benchmarks-history.md). One name always goes with one text.
   */
  async query<R extends pg.QueryResultRow>(text: string, values?: unknown[], name?: string): Promise<pg.QueryResult<R>> {
    if (this.#closed) throw new StoreUnavailableError('The store is closed.');
    try {
      return await this.pool.query<R>(name ? { name, text, values } : { text, values });
    } catch (error) {
      throw unavailableOr(error);
    }
  }

  /** Runs before the pool ends (the live feed's own connection, say). */
  beforeClose(hook: () => Promise<void>): void {
    this.#beforeClose.push(hook);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const hook of this.#beforeClose) await hook().catch(() => {});
    await this.signals.stop();
    await this.pool.end();
  }
}

/** Lost connections and a server that refuses work become 503 store_unavailable; SQL mistakes stay bugs. */
function unavailableOr(error: unknown): unknown {
  const code = (error as { code?: string }).code ?? '';
  const connectionLost = !/^[0-9A-Z]{5}$/.test(code) || /^(08|53|57)/.test(code);
  return connectionLost ? new StoreUnavailableError(undefined, error) : error;
}
