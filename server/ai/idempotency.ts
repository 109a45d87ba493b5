import { createHash } from 'node:crypto';
import { type Clock, sleep } from '../clock.ts';
import { RelayError } from '../errors.ts';
import type { Table, TableFactory } from '../store/table.ts';

interface KeyRow {
  id: string;
  hash: string;
  response_id: string;
  created_ms: number;
}

export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
/** On a shared store: how long to wait for the response another instance is creating for a key. */
const CREATING_WAIT_MS = 2000;
const CREATING_POLL_MS = 50;
const NEVER = new AbortController().signal;

export interface OnceOps<T> {
  /** The id the response will have (reserved with the key before it is created). */
  newId(): string;
  create(id: string): Promise<T>;
  find(id: string): Promise<T | undefined>;
}

export interface Idempotency {
  open(): Promise<void>;
  close(): Promise<void>;
  /**
   * Runs `create` once per key: the same key with the same body within 24 h gets the first answer's
   * response (looked up with `find`), a different body is refused with 409 idempotency_key_reused.
   */
  once<T extends { id: string }>(key: string, body: unknown, ops: OnceOps<T>): Promise<T>;
  sweep(nowMs: number): Promise<void>;
}

interface Options {
  clock: Clock;
  /** Other instances share the store: a key's response may still be on its way from one of them. */
  shared: boolean;
  /** Reads a response's row as stored now (another instance may be writing it). */
  refresh(id: string): Promise<void>;
}

/**
 * Keys are reserved with insertNew, response id included, before the response is created: of two
 * instances that get the same key at once, the store lets one insert it, and the other answers with
 * that response. A failed create frees its key.
 */
export function createIdempotency(tables: TableFactory, options: Options): Idempotency {
  const table: Table<KeyRow> = tables.table<KeyRow>('ai-idempotency-keys', 'large');
  const inflight = new Map<string, Promise<unknown>>();
  const now = () => options.clock.now();

  async function awaitResponse<T>(row: KeyRow, ops: OnceOps<T>): Promise<T | undefined> {
    const found = await ops.find(row.response_id);
    if (found || !options.shared) return found;
    for (let waited = 0; waited < CREATING_WAIT_MS; waited += CREATING_POLL_MS) {
      await options.refresh(row.response_id);
      const later = await ops.find(row.response_id);
      if (later) return later;
      await sleep(options.clock, CREATING_POLL_MS, NEVER);
    }
    return undefined;
  }

  async function reserveAndCreate<T>(key: string, hash: string, ops: OnceOps<T>): Promise<T> {
    for (let attempt = 0; attempt < 3; attempt++) {
      let row = table.get(key);
      if (row && now() - row.created_ms >= IDEMPOTENCY_TTL_MS) {
        await table.delete(key);
        row = undefined;
      }
      if (!row) {
        const reserved = { id: key, hash, response_id: ops.newId(), created_ms: now() };
        const [mine] = await table.insertNew([reserved]);
        if (mine) return createReserved(reserved, ops);
        await table.refresh([key]);
        row = table.get(key);
        if (!row) continue;
      }
      if (row.hash !== hash) {
        // A retry with the same body gets the same answer: the SDK must not retry it (it retries 409s).
        throw new RelayError(
          'idempotency_key_reused',
          'This Idempotency-Key was used with a different request body in the last 24 hours.',
        ).notRetryable();
      }
      const found = await awaitResponse(row, ops);
      if (found) return found;
      // Its response is gone (deleted, or never created): the key is free again.
      if (table.get(key)?.response_id === row.response_id) await table.delete(key);
    }
    throw new RelayError('store_unavailable', 'The Idempotency-Key is contended; try again.');
  }

  async function createReserved<T>(reserved: KeyRow, ops: OnceOps<T>): Promise<T> {
    try {
      return await ops.create(reserved.response_id);
    } catch (error) {
      await table.delete(reserved.id).catch(() => {});
      throw error;
    }
  }

  return {
    open: () => table.open(),
    close: () => table.close(),
    async once(key, body, ops) {
      const hash = createHash('sha256').update(JSON.stringify(body)).digest('hex');
      // A second request with the key while the first is still creating here waits for it.
      while (inflight.has(key)) await inflight.get(key)?.catch(() => {});
      const creating = reserveAndCreate(key, hash, ops);
      inflight.set(key, creating);
      try {
        return await creating;
      } finally {
        inflight.delete(key);
      }
    },
    async sweep(nowMs) {
      const expired = [...table.values()].filter((r) => nowMs - r.created_ms >= IDEMPOTENCY_TTL_MS);
      for (const row of expired) await table.delete(row.id);
    },
  };
}
