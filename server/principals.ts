import { safeEqual } from './crypto.ts';
import type { Scope } from './keys/scopes.ts';

/** Optional per-key limits (README "Keys"); absent means unlimited. */
export interface KeyLimits {
  requests_per_minute?: number;
  ai_tokens_per_day?: number;
  ai_tokens_per_month?: number;
  ai_concurrent?: number;
}

/** Who is calling: the admin token, an API key or a subscriber token, with what it may do. */
export interface Principal {
  /** `admin` when the principal holds the admin scope; kept for code written before scopes. */
  role: 'admin' | 'reader';
  /** The key or subscriber token; null for the admin token. Ownership of AI objects goes by this id. */
  keyId: string | null;
  /** Former name of keyId. */
  tokenId: string | null;
  scopes: readonly Scope[];
  /** Sources `events:*` may touch; null = all. */
  sources: string[] | null;
  limits: KeyLimits;
}

/** Resolves a presented token to a principal; keys and subscriber tokens each register one. */
export type TokenResolver = (token: string) => Principal | null;

/** Presented tokens to principals; the HTTP guards (server/http/auth.ts) and the live streams use it. */
export interface Credentials {
  authenticate(token: string | undefined): Principal | null;
  addResolver(resolver: TokenResolver): void;
  /**
   * Credentials were revoked or narrowed (here or on another instance): long-lived connections check
   * theirs again. Listeners run synchronously, so a revoking request answers after its streams closed.
   */
  changed(): void;
  onChange(listener: () => void): () => void;
}

export const isAdmin = (principal: Principal) => principal.scopes.includes('admin');

export const hasScope = (principal: Principal, scope: Scope) => isAdmin(principal) || principal.scopes.includes(scope);

export function canReadSource(principal: Principal, source: string): boolean {
  return principal.sources === null || principal.sources.includes(source);
}

/** Objects (AI responses, files, batches) are seen by the key that made them, and by admin. */
export const owns = (principal: Principal, owner: string | null | undefined) =>
  isAdmin(principal) || (principal.keyId !== null && owner === principal.keyId);

const ADMIN: Principal = { role: 'admin', keyId: null, tokenId: null, scopes: ['admin'], sources: null, limits: {} };

export function createCredentials(adminToken: string): Credentials {
  const resolvers: TokenResolver[] = [];
  const listeners = new Set<() => void>();
  return {
    authenticate(token) {
      if (!token) return null;
      if (safeEqual(token, adminToken)) return ADMIN;
      for (const resolve of resolvers) {
        const found = resolve(token);
        if (found) return found;
      }
      return null;
    },
    addResolver: (resolver) => void resolvers.push(resolver),
    changed() {
      for (const listener of [...listeners]) listener();
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
