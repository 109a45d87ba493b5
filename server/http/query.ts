import type { Request } from 'express';
import { RelayError } from '../errors.ts';

export function optionalString(req: Request, name: string): string | undefined {
  const value = req.query[name];
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string')
    throw new RelayError('invalid_request', `Query parameter "${name}" must be given once.`, { param: name });
  return value;
}

export function limitParam(req: Request, fallback: number, max: number): number {
  const raw = optionalString(req, 'limit');
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > max) {
    throw new RelayError('invalid_request', `"limit" must be a whole number from 1 to ${max}.`, { param: 'limit' });
  }
  return n;
}

export function booleanParam(req: Request, name: string): boolean {
  const raw = optionalString(req, name);
  if (raw === undefined || raw === 'false' || raw === '0') return false;
  if (raw === 'true' || raw === '1') return true;
  throw new RelayError('invalid_request', `"${name}" must be true or false.`, { param: name });
}
