import type { Cluster } from '../cluster/cluster.ts';
import type { BlobStore } from '../files/blob-store.ts';
import type { IdFactory } from '../ids.ts';
import type { RateBuckets } from '../keys/rate-buckets.ts';
import type { TableFactory } from './table.ts';

// The event store seam (style.md §1): the memory, lowdb/JSONL and PostgreSQL implementations pass one
// contract suite (test/store/event-store.contract.ts).

export interface RelayEvent {
  id: string;
  source: string;
  type: string;
  received_at: string;
  provider_id: string | null;
  headers: Record<string, string>;
  payload: unknown;
  verified: { scheme: string };
}

/** What ingest (or an internal producer) hands the store; the store assigns id and received_at. */
export interface NewEvent {
  source: string;
  type: string;
  provider_id: string | null;
  headers: Record<string, string>;
  payload: unknown;
  /**
   * The payload's JSON text, when the producer has it (the body it parsed the payload from): stores
   * that keep JSON write it as it is rather than encoding the payload again. JSON.parse of it must
   * give `payload`.
   */
  payload_json?: string;
  verified: { scheme: string };
  raw: Buffer;
  content_type: string;
  /** The address the request came from (ingest only; internal events have none). */
  client_ip?: string;
}

export interface AppendResult {
  event: RelayEvent;
  duplicate: boolean;
}

/** The original request's bytes, with the facts kept beside them (not part of the event's JSON). */
export interface RawBody {
  raw: Buffer;
  content_type: string;
  /** Where the request came from, when the store was given it. */
  client_ip?: string | null;
}

export interface EventQuery {
  source?: string;
  /** Exact type, or a glob such as `response.*` (README "Globs"). */
  type?: string;
  /** Only events whose id sorts after this cursor. */
  after?: string;
  /** The newest `limit` matches instead of the oldest (still returned oldest first; `last_id` is the newest). */
  tail?: boolean;
  limit: number;
}

export interface EventPage {
  data: RelayEvent[];
  has_more: boolean;
  last_id: string | null;
}

export interface Rejection {
  at: string;
  source: string;
  status: number;
  code: string;
  ip: string;
  headers: Record<string, string>;
}

export interface RetentionPolicy {
  maxEvents: number;
  maxAgeDays: number;
}

export interface EventStore {
  open(): Promise<void>;
  /** Flushes and releases files. Idempotent. */
  close(): Promise<void>;
  /** Durable before it resolves. The same (source, provider_id) again resolves to the first event. */
  append(event: NewEvent): Promise<AppendResult>;
  get(id: string): Promise<RelayEvent | undefined>;
  getRaw(id: string): Promise<RawBody | undefined>;
  list(query: EventQuery): Promise<EventPage>;
  /** Id of the oldest event still kept, for detecting cursors older than retention. */
  oldestId(): Promise<string | null>;
  count(): Promise<number>;
  /** How many kept events each source has with an id after `after` (e.g. `idFloor('evt', since)`). */
  countBySource(after: string): Promise<Record<string, number>>;
  recordRejection(rejection: Rejection): Promise<void>;
  listRejections(query: { source?: string; limit: number }): Promise<Rejection[]>;
  /** For /readyz: can the store take a write right now? */
  writable(): Promise<boolean>;
}

/** The part of the relay's EventBus (server/bus.ts) a shared store publishes other instances' events on. */
export interface OtherInstancesBus {
  publishFromOtherInstance(event: RelayEvent): void;
}

/** Everything the relay keeps, from one driver (server/store/driver.ts builds it). */
export interface Storage {
  events: EventStore;
  tables: TableFactory;
  /** Claims and roles among the instances sharing this store (one process: LocalCluster). */
  cluster: Cluster;
  /** File bytes (uploads and batch outputs), where every instance sharing the store can read them. */
  blobs: BlobStore;
  /** Per-key request rates, shared by every instance that shares the store. */
  buckets: RateBuckets;
  /**
   * Drivers shared by several instances publish events stored elsewhere on this bus (after
   * events.open()); stops when the event store closes. Absent for single-process drivers.
   */
  connectBus?(bus: OtherInstancesBus, onError: (error: unknown) => void): Promise<void>;
}

/** `store.driver` in the config file. */
export type StoreDriver = 'lowdb' | 'memory' | 'postgres';

export interface StorageOptions {
  driver: StoreDriver;
  dataDir: string;
  /** postgres: connection URL and optional schema. */
  url?: string;
  schema?: string;
  retention: RetentionPolicy;
  now: () => number;
  newId: IdFactory;
  /** How many refused ingest requests the rejection log keeps (limits.rejections). */
  maxRejections?: number;
  /** postgres: how long an instance may miss heartbeats before others take over its work. */
  leaseMs?: number;
  onError?(error: unknown): void;
}
