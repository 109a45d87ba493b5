import type { Request } from 'express';
import { HttpError } from '../errors.ts';

export function optionalString(req: Request, name: string): string | undefined {
  const value = req.query[name];
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw new HttpError('invalid_request', `Query parameter "${name}" must be given once.`);
  return value;
}

export function limitParam(req: Request, fallback: number, max: number): number {
  const raw = optionalString(req, 'limit');
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > max) {
    throw new HttpError('invalid_request', `"limit" must be a whole number from 1 to ${max}.`);
  }
  return n;
}
