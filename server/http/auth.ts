import { createHash } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { HttpError } from '../errors.ts';
import { safeEqual } from '../ingest/verifiers/verifier.ts';

export interface Principal {
  role: 'admin' | 'reader';
  tokenId: string | null;
  /** Sources a reader may see; null = all. */
  sources: string[] | null;
}

/** Resolves a presented token to a principal; the tokens subsystem registers one for subscriber tokens. */
export type TokenResolver = (token: string) => Principal | null;

export interface Auth {
  authenticate(token: string | undefined): Principal | null;
  addResolver(resolver: TokenResolver): void;
  /** Management routes: the admin token only. */
  admin: RequestHandler;
  /** Read routes (events, stream, Socket.IO): admin or subscriber token; `?access_token=` accepted. */
  reader: RequestHandler;
  /** In front of all of /v1, before the JSON parser: no body is read for a request without a valid token. */
  anyToken: RequestHandler;
}

export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

export function principalOf(res: Response): Principal {
  return res.locals.principal as Principal;
}

export function canReadSource(principal: Principal, source: string): boolean {
  return principal.sources === null || principal.sources.includes(source);
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

export function createAuth(adminToken: string): Auth {
  const resolvers: TokenResolver[] = [];
  const admin: Principal = { role: 'admin', tokenId: null, sources: null };
  function authenticate(token: string | undefined): Principal | null {
    if (!token) return null;
    if (safeEqual(token, adminToken)) return admin;
    for (const resolve of resolvers) {
      const found = resolve(token);
      if (found) return found;
    }
    return null;
  }
  // A 401 names the scheme it wants (RFC 9110 §11.6.1).
  function unauthorized(res: Response) {
    res.set('WWW-Authenticate', 'Bearer realm="hookrelay"');
    return new HttpError('unauthorized', 'Send "Authorization: Bearer <token>" with a valid token.');
  }
  return {
    authenticate,
    addResolver: (resolver) => void resolvers.push(resolver),
    admin: function requireAdmin(req: Request, res: Response, next: NextFunction) {
      const principal = authenticate(bearer(req));
      if (!principal) return next(unauthorized(res));
      if (principal.role !== 'admin') return next(new HttpError('forbidden', 'This route needs the admin token.'));
      res.locals.principal = principal;
      next();
    },
    reader: function requireReader(req: Request, res: Response, next: NextFunction) {
      const principal = authenticate(bearerOrQuery(req));
      if (!principal) return next(unauthorized(res));
      res.locals.principal = principal;
      next();
    },
    anyToken: function requireAnyToken(req: Request, res: Response, next: NextFunction) {
      next(authenticate(bearerOrQuery(req)) ? undefined : unauthorized(res));
    },
  };
}
