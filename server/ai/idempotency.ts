import { createHash } from 'node:crypto';
import { HttpError } from '../errors.ts';
import type { Table, TableFactory } from '../store/table.ts';

interface KeyRow {
  id: string;
  hash: string;
  response_id: string;
  created_ms: number;
}

export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

export interface Idempotency {
  open(): Promise<void>;
  close(): Promise<void>;
  /**
   * Runs `create` once per key: the same key with the same body within 24 h gets the first answer's
   * response (looked up with `find`), a different body is refused with 409 idempotency_key_reused.
   */
  once<T extends { id: string }>(
    key: string,
    body: unknown,
    create: () => Promise<T>,
    find: (id: string) => Promise<T | undefined>,
  ): Promise<T>;
  sweep(nowMs: number): Promise<void>;
}

export function createIdempotency(tables: TableFactory, now: () => number): Idempotency {
  const table: Table<KeyRow> = tables.table<KeyRow>('ai-idempotency-keys', 'large');
  const inflight = new Map<string, Promise<unknown>>();
  return {
    open: () => table.open(),
    close: () => table.close(),
    async once(key, body, create, find) {
      const hash = createHash('sha256').update(JSON.stringify(body)).digest('hex');
      // A second request with the key while the first is still creating waits for it.
      while (inflight.has(key)) await inflight.get(key)?.catch(() => {});
      const known = table.get(key);
      if (known && now() - known.created_ms < IDEMPOTENCY_TTL_MS) {
        if (known.hash !== hash) {
          throw new HttpError(
            'idempotency_key_reused',
            'This Idempotency-Key was used with a different request body in the last 24 hours.',
            409,
          );
        }
        const found = await find(known.response_id);
        if (found) return found;
      }
      const creating = create().then(async (created) => {
        await table.put({ id: key, hash, response_id: created.id, created_ms: now() });
        return created;
      });
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
