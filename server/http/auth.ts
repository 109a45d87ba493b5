import { createHash } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { RelayError } from '../errors.ts';
import { safeEqual } from '../ingest/verifiers/verifier.ts';
import type { Scope } from '../keys/scopes.ts';

/** Optional per-key limits (README "Keys"); absent means unlimited. */
export interface KeyLimits {
  requests_per_minute?: number;
  ai_tokens_per_day?: number;
  ai_tokens_per_month?: number;
  ai_concurrent?: number;
}

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

/** A check that runs after a route's scope check passed (per-key rate limits, say). */
export type Gate = (principal: Principal, req: Request, res: Response) => void | Promise<void>;

/** A route guard; `scope` says which scope it requires (null: any valid credential). */
export type Guard = RequestHandler & { readonly scope: Scope | null };

export interface Auth {
  authenticate(token: string | undefined): Principal | null;
  addResolver(resolver: TokenResolver): void;
  addGate(gate: Gate): void;
  /** The principal must hold `scope` (or `admin`); otherwise 403 insufficient_scope naming it. */
  require(scope: Scope): Guard;
  /** Any valid credential (e.g. GET /v1/keys/self). */
  signedIn: Guard;
  /** Alias of require('admin'). */
  admin: Guard;
  /** Alias of require('events:read'); `?access_token=` accepted (EventSource cannot send headers). */
  reader: Guard;
  /** In front of all of /v1, before the JSON parser: no body is read for a request without a valid token. */
  anyToken: RequestHandler;
  /**
   * Credentials were revoked or narrowed (here or on another instance): long-lived connections check
   * theirs again. Listeners run synchronously, so a revoking request answers after its streams closed.
   */
  changed(): void;
  onChange(listener: () => void): () => void;
}

export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

export function principalOf(res: Response): Principal {
  return res.locals.principal as Principal;
}

export const isAdmin = (principal: Principal) => principal.scopes.includes('admin');

export const hasScope = (principal: Principal, scope: Scope) => isAdmin(principal) || principal.scopes.includes(scope);

export function canReadSource(principal: Principal, source: string): boolean {
  return principal.sources === null || principal.sources.includes(source);
}

/** Objects (AI responses, files, batches) are seen by the key that made them, and by admin. */
export const owns = (principal: Principal, owner: string | null | undefined) =>
  isAdmin(principal) || (principal.keyId !== null && owner === principal.keyId);

function bearer(req: Request): string | undefined {
  // The scheme name is case-insensitive (RFC 9110 §11.1).
  const match = /^bearer +(\S+) *$/i.exec(req.headers.authorization ?? '');
  return match?.[1];
}

/** The token a read route was called with (long-lived streams keep it to notice a revocation). */
export function bearerOrQuery(req: Request): string | undefined {
  return bearer(req) ?? (typeof req.query.access_token === 'string' ? req.query.access_token : undefined);
}

const ADMIN: Principal = { role: 'admin', keyId: null, tokenId: null, scopes: ['admin'], sources: null, limits: {} };

export function createAuth(adminToken: string): Auth {
  const resolvers: TokenResolver[] = [];
  const gates: Gate[] = [];
  const listeners = new Set<() => void>();
  function authenticate(token: string | undefined): Principal | null {
    if (!token) return null;
    if (safeEqual(token, adminToken)) return ADMIN;
    for (const resolve of resolvers) {
      const found = resolve(token);
      if (found) return found;
    }
    return null;
  }
  // A 401 names the scheme it wants (RFC 9110 §11.6.1).
  function unauthorized(res: Response) {
    res.set('WWW-Authenticate', 'Bearer realm="hookrelay"');
    return new RelayError('unauthorized', 'Send "Authorization: Bearer <token>" with a valid token.');
  }
  async function pass(principal: Principal, req: Request, res: Response): Promise<void> {
    res.locals.principal = principal;
    for (const gate of gates) await gate(principal, req, res);
  }
  function guard(scope: Scope | null): Guard {
    const fromQuery = scope === 'events:read';
    const handler = async function requireScope(req: Request, res: Response, next: NextFunction) {
      const principal = authenticate(fromQuery ? bearerOrQuery(req) : bearer(req));
      if (!principal) return next(unauthorized(res));
      if (scope !== null && !hasScope(principal, scope)) return next(insufficientScope(scope, principal));
      try {
        await pass(principal, req, res);
        next();
      } catch (error) {
        next(error);
      }
    };
    return Object.assign(handler, { scope });
  }
  const admin = guard('admin');
  const reader = guard('events:read');
  return {
    authenticate,
    addResolver: (resolver) => void resolvers.push(resolver),
    addGate: (gate) => void gates.push(gate),
    require: (scope) => (scope === 'admin' ? admin : scope === 'events:read' ? reader : guard(scope)),
    signedIn: guard(null),
    admin,
    reader,
    anyToken: function requireAnyToken(req: Request, res: Response, next: NextFunction) {
      next(authenticate(bearerOrQuery(req)) ? undefined : unauthorized(res));
    },
    changed() {
      for (const listener of [...listeners]) listener();
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

export function insufficientScope(scope: Scope, principal: Principal): RelayError {
  const held = principal.scopes.join(', ') || 'none';
  return new RelayError('insufficient_scope', `This needs the "${scope}" scope; this key has: ${held}.`, { scope });
}
