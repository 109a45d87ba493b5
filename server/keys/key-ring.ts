import { randomBytes } from 'node:crypto';
import { hashToken } from '../crypto.ts';
import type { Principal } from '../principals.ts';
import type { Cluster } from '../cluster/cluster.ts';
import type { Table, TableFactory } from '../store/table.ts';
import type { KeyInput } from './key-input.ts';

export interface KeyRow extends KeyInput {
  id: string;
  /** sha256 of the key; the key itself is shown once, at creation. */
  hash: string;
  /** The key's first characters, so a person can tell keys apart. */
  prefix: string;
  created_at: string;
}

export const keyView = ({ hash: _hash, ...row }: KeyRow) => ({
  id: row.id,
  object: 'key' as const,
  name: row.name,
  scopes: row.scopes,
  sources: row.sources,
  limits: row.limits,
  prefix: row.prefix,
  created_at: row.created_at,
});

export const principalFor = (row: Pick<KeyRow, 'id' | 'scopes' | 'sources' | 'limits'>): Principal => ({
  role: row.scopes.includes('admin') ? 'admin' : 'reader',
  keyId: row.id,
  tokenId: row.id,
  scopes: row.scopes,
  sources: row.sources,
  limits: row.limits,
});

const CHANGED = 'keys.changed';

/**
 * API keys: rows by id, looked up by hash; the index follows writes made here and on other instances.
 * A change is also announced on the cluster channel with the row itself (null: revoked), applied on
 * receipt: that message reaches every instance before any event stored after the change, whereas the
 * table's own re-read of the row would only land a query later.
 */
export function createKeyRing(tables: TableFactory, cluster: Cluster, onChanged: () => void) {
  const table: Table<KeyRow> = tables.table<KeyRow>('keys', 'small');
  /** Rows as announced, ahead of this instance's table cache (bounded by the number of keys). */
  const announced = new Map<string, KeyRow | null>();
  let byHash = new Map<string, KeyRow>();
  const current = (id: string) => (announced.has(id) ? (announced.get(id) ?? undefined) : table.get(id));
  const index = () => {
    const rows = [...table.values()].map((row) => current(row.id)).filter((row): row is KeyRow => row !== undefined);
    for (const [id, row] of announced) if (row && !table.get(id)) rows.push(row);
    byHash = new Map(rows.map((row) => [row.hash, row]));
  };
  const offs: Array<() => void> = [];
  async function announce(id: string, row: KeyRow | null): Promise<void> {
    announced.set(id, row);
    index();
    onChanged();
    await cluster.send(CHANGED, { id, row });
  }
  return {
    async open() {
      await table.open();
      index();
      // A key revoked or narrowed on another instance takes effect here as soon as that is known.
      offs.push(
        cluster.on(CHANGED, (message) => {
          const { id, row } = message as { id: string; row: KeyRow | null };
          announced.set(id, row);
          index();
          onChanged();
        }),
        table.onChange(() => {
          index();
          onChanged();
        }),
      );
    },
    async close() {
      for (const off of offs.splice(0)) off();
      await table.close();
    },
    resolve(token: string): Principal | null {
      const row = token.startsWith('hrk_') ? byHash.get(hashToken(token)) : undefined;
      return row ? principalFor(row) : null;
    },
    list: () => [...table.values()].map((row) => current(row.id)).filter((row): row is KeyRow => row !== undefined),
    get: (id: string) => current(id),
    async create(input: KeyInput, id: string, now: number): Promise<{ row: KeyRow; key: string }> {
      const key = `hrk_${randomBytes(32).toString('base64url')}`;
      const row: KeyRow = {
        id,
        ...input,
        hash: hashToken(key),
        prefix: key.slice(0, 8),
        created_at: new Date(now).toISOString(),
      };
      await table.put(row);
      announced.delete(row.id);
      index();
      return { row, key };
    },
    async update(row: KeyRow, patch: Partial<KeyInput>): Promise<KeyRow> {
      const next = { ...row, ...patch };
      await table.put(next);
      await announce(row.id, next);
      return next;
    },
    async remove(row: KeyRow): Promise<void> {
      await table.delete(row.id);
      await announce(row.id, null);
    },
  };
}

export type KeyRing = ReturnType<typeof createKeyRing>;
