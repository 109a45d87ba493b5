import { randomBytes } from 'node:crypto';
import type { RelayContext } from '../context.ts';
import type { Subsystem } from '../subsystem.ts';
import { hashToken } from '../crypto.ts';
import { type TokenView, tokenRoutes } from './routes.ts';

interface TokenRow {
  id: string;
  name: string;
  sources: string[] | null;
  hash: string;
  created_at: string;
}

const REVOKED = 'tokens.revoked';

const view = ({ hash: _hash, ...row }: TokenRow): TokenView => ({ object: 'token', ...row });

/**
 * Subscriber tokens: keys with the one scope `events:read` (README "Keys", migration), optionally
 * limited to sources. Only hashes are kept.
 */
export function tokensApi(ctx: RelayContext): Subsystem {
  const table = ctx.storage.tables.table<TokenRow>('tokens', 'small');
  let byHash = new Map<string, TokenRow>();
  /** Revoked here or announced by another instance, maybe before this instance's table re-read the row. */
  const revoked = new Set<string>();
  // Tokens created or revoked on another instance (PostgreSQL) take effect here as soon as they change.
  const index = () => {
    byHash = new Map([...table.values()].filter((row) => !revoked.has(row.id)).map((row) => [row.hash, row]));
  };
  const offs: Array<() => void> = [];

  async function create(name: string, sources: string[] | null): Promise<{ row: TokenView; token: string }> {
    const token = `hrt_${randomBytes(24).toString('base64url')}`;
    const row: TokenRow = {
      id: ctx.newId('tok'),
      name,
      sources,
      hash: hashToken(token),
      created_at: new Date(ctx.clock.now()).toISOString(),
    };
    await table.put(row);
    byHash.set(row.hash, row);
    return { row: view(row), token };
  }

  async function revoke(id: string): Promise<boolean> {
    const row = table.get(id);
    if (!row) return false;
    await table.delete(row.id);
    revoked.add(row.id);
    index();
    ctx.credentials.changed();
    await ctx.cluster.send(REVOKED, { id: row.id });
    return true;
  }

  return {
    name: 'tokens',
    async start() {
      await table.open();
      index();
      // A token revoked elsewhere also ends its live streams here: the cluster message arrives before
      // any event stored after the revocation (see server/keys/key-ring.ts).
      offs.push(
        ctx.cluster.on(REVOKED, (message) => {
          revoked.add(String((message as { id: unknown }).id));
          index();
          ctx.credentials.changed();
        }),
        table.onChange(() => {
          index();
          ctx.credentials.changed();
        }),
      );
      ctx.credentials.addResolver((token) => {
        const row = byHash.get(hashToken(token));
        return row
          ? { role: 'reader', keyId: row.id, tokenId: row.id, scopes: ['events:read'], sources: row.sources, limits: {} }
          : null;
      });
    },
    async stop() {
      for (const off of offs.splice(0)) off();
      await table.close();
    },
    routes(http) {
      tokenRoutes(http, { create, list: () => [...table.values()].map(view), revoke });
    },
  };
}
