import type { Request } from 'express';
import { RelayError } from '../errors.ts';
import { limitParam, optionalString } from '../http/query.ts';
import type { InputItem } from './request-input.ts';

/**
 * `GET /v1/responses/:id/input_items`: OpenAI's list shape and paging (`order` desc by default,
 * `after` an item id, `limit` 1…100, default 20).
 */
export function listInputItems(items: readonly InputItem[], req: Request) {
  const order = optionalString(req, 'order') ?? 'desc';
  if (order !== 'asc' && order !== 'desc') {
    throw new RelayError('invalid_request', '"order" must be asc or desc.', { param: 'order' });
  }
  const limit = limitParam(req, 20, 100);
  const ordered = order === 'asc' ? items : [...items].reverse();
  const after = optionalString(req, 'after');
  let start = 0;
  if (after !== undefined) {
    const at = ordered.findIndex((item) => item.id === after);
    if (at < 0) throw new RelayError('invalid_request', `No input item "${after}" in this response.`, { param: 'after' });
    start = at + 1;
  }
  const data = ordered.slice(start, start + limit);
  return {
    object: 'list',
    data,
    first_id: data[0]?.id ?? null,
    last_id: data.at(-1)?.id ?? null,
    has_more: start + limit < ordered.length,
  };
}
