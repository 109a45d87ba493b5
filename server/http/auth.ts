import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { RelayError } from '../errors.ts';
import type { Scope } from '../keys/scopes.ts';
import { type Credentials, hasScope, type Principal } from '../principals.ts';

/** A check that runs after a route's scope check passed (per-key rate limits, say). */
export type Gate = (principal: Principal, req: Request, res: Response) => void | Promise<void>;

/** A route guard; `scope` says which scope it requires (null: any valid credential). */
export type Guard = RequestHandler & { readonly scope: Scope | null };

/** The route guards, over the relay's credentials (server/principals.ts). */
export interface Auth {
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
}

export function principalOf(res: Response): Principal {
  return res.locals.principal as Principal;
}

function bearer(req: Request): string | undefined {
  // The scheme name is case-insensitive (RFC 9110 §11.1).
  const match = /^bearer +(\S+) *$/i.exec(req.headers.authorization ?? '');
  return match?.[1];
}

/** The token a read route was called with (long-lived streams keep it to notice a revocation). */
export function bearerOrQuery(req: Request): string | undefined {
  return bearer(req) ?? (typeof req.query.access_token === 'string' ? req.query.access_token : undefined);
}

export function createAuth(credentials: Credentials): Auth {
  const { authenticate } = credentials;
  const gates: Gate[] = [];
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
    addGate: (gate) => void gates.push(gate),
    require: (scope) => (scope === 'admin' ? admin : scope === 'events:read' ? reader : guard(scope)),
    signedIn: guard(null),
    admin,
    reader,
    anyToken: function requireAnyToken(req: Request, res: Response, next: NextFunction) {
      next(authenticate(bearerOrQuery(req)) ? undefined : unauthorized(res));
    },
  };
}

export function insufficientScope(scope: Scope, principal: Principal): RelayError {
  const held = principal.scopes.join(', ') || 'none';
  return new RelayError('insufficient_scope', `This needs the "${scope}" scope; this key has: ${held}.`, { scope });
}
