import { randomBytes } from 'node:crypto';
import { hashToken, type Principal } from '../http/auth.ts';
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

/** API keys: rows by id, looked up by hash; the index follows writes made here and on other instances. */
export function createKeyRing(tables: TableFactory, onChanged: () => void) {
  const table: Table<KeyRow> = tables.table<KeyRow>('keys', 'small', { secret: true });
  let byHash = new Map<string, KeyRow>();
  const index = () => {
    byHash = new Map([...table.values()].map((row) => [row.hash, row]));
  };
  let offChange: (() => void) | null = null;
  return {
    async open() {
      await table.open();
      index();
      // A key revoked or narrowed on another instance takes effect here as soon as its row changes.
      offChange = table.onChange(() => {
        index();
        onChanged();
      });
    },
    async close() {
      offChange?.();
      await table.close();
    },
    resolve(token: string): Principal | null {
      const row = token.startsWith('hrk_') ? byHash.get(hashToken(token)) : undefined;
      return row ? principalFor(row) : null;
    },
    list: () => [...table.values()],
    get: (id: string) => table.get(id),
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
      index();
      return { row, key };
    },
    async update(row: KeyRow, patch: Partial<KeyInput>): Promise<KeyRow> {
      const next = { ...row, ...patch };
      await table.put(next);
      index();
      onChanged();
      return next;
    },
    async remove(row: KeyRow): Promise<void> {
      await table.delete(row.id);
      index();
      onChanged();
    },
  };
}

export type KeyRing = ReturnType<typeof createKeyRing>;
